/**
 * The data stage's Redis nodes and `fintech redis` must agree: the outputs the commands read,
 * the ports, the master name, the AUTH set-up, the data directory and the systemd units.
 */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {DEFAULT_MASTER_NAME} from '../../src/core/redis/api.js'
import {NODE_RDB_PATH} from '../../src/core/redis/backup.js'
import {DEFAULT_PATCH_COMMAND} from '../../src/core/redis/patch.js'
import {parseTemplate} from '../../src/core/template/parse.js'

const file = fileURLToPath(new URL('../../templates/data/data.yaml', import.meta.url))
const template = parseTemplate(readFileSync(file, 'utf8'), 'templates/data/data.yaml')
const document = template.document as {Parameters: Record<string, {Default?: string}>; Outputs: Record<string, unknown>}
/** The node bootstrap script, as the launch template's UserData carries it. */
const bootstrap = readFileSync(file, 'utf8')

describe('templates/data/data.yaml and fintech redis', () => {
  it('outputs everything the commands read from the data stack', () => {
    for (const output of ['RedisSentinelAddresses', 'RedisMasterName', 'RedisNodeAddresses', 'RedisInstanceIds', 'RedisBackupBucketName', 'RedisAuthSecretArn']) {
      expect(Object.keys(document.Outputs), output).toContain(output)
    }
  })

  it('uses the master name, ports, data directory and units the commands expect', () => {
    expect(document.Parameters.RedisMasterName!.Default).toBe(DEFAULT_MASTER_NAME)
    expect(bootstrap).toMatch(/^\s+port 6379$/m)
    expect(bootstrap).toMatch(/^\s+port 26379$/m)
    expect(bootstrap).toContain('sentinel monitor $MASTER_NAME $MASTER 6379 2')
    expect(bootstrap).toMatch(/^\s+dir \/var\/lib\/fintech-redis$/m)
    expect(NODE_RDB_PATH).toBe('/var/lib/fintech-redis/dump.rdb')
    expect(bootstrap).toMatch(/^\s+dbfilename dump\.rdb$/m)
    for (const unit of ['fintech-redis', 'fintech-sentinel']) {
      expect(bootstrap).toContain(`/etc/systemd/system/${unit}.service`)
      expect(DEFAULT_PATCH_COMMAND).toContain(unit)
    }
  })

  it('protects Redis and Sentinel with the one AUTH password the commands read from the secret', () => {
    expect(bootstrap).toMatch(/^\s+requirepass \$AUTH$/m)
    expect(bootstrap).toMatch(/^\s+sentinel auth-pass \$MASTER_NAME \$AUTH$/m)
    expect(bootstrap).toContain('SECRET=${RedisAuthSecret}')
  })
})
