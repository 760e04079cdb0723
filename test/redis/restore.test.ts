import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {HeadObjectCommand} from '@aws-sdk/client-s3'
import {GetCommandInvocationCommand, SendCommandCommand, SSMClient, type GetCommandInvocationCommandOutput} from '@aws-sdk/client-ssm'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {copyFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import RedisFailover from '../../src/commands/redis/failover.js'
import RedisRestore from '../../src/commands/redis/restore.js'
import {loadConfig} from '../../src/core/config/load.js'
import {isBreakGlassCaller, restoreScript} from '../../src/core/redis/restore.js'
import {redisMasterStack} from '../../src/core/redis/api.js'
import {cfn, resetAws, s3, stack, sts} from '../helpers/aws-mocks.js'
import {pairs, parseInfo, startRedisHarness, waitFor, type RedisHarness} from '../helpers/redis-harness.js'
import {runCli} from '../helpers/run-cli.js'

const ssm = mockClient(SSMClient)
const config = loadConfig('fintech.config.yaml').config
const IDS = ['i-0primary', 'i-0replica1', 'i-0replica2']
const BUCKET = 'fintech-redis-backups'
const KEY = 'dev/2026/11/02/0100-i-0replica1-manual.rdb'
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

describe('fintech redis restore (real Redis and Sentinel, mocked SSM, S3, STS and CloudFormation)', () => {
  let harness: RedisHarness
  let audit: ReturnType<typeof resetAws>
  let backupFile: string

  const useStack = (env: string) => {
    cfn.on(DescribeStacksCommand).resolves(
      stack(redisMasterStack(config, env)!, 'UPDATE_COMPLETE', {
        Outputs: [
          {OutputKey: 'RedisMasterName', OutputValue: harness.masterName},
          {OutputKey: 'RedisSentinelAddresses', OutputValue: harness.sentinelAddresses.join(',')},
          {OutputKey: 'RedisNodeAddresses', OutputValue: harness.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')},
          {OutputKey: 'RedisInstanceIds', OutputValue: IDS.join(',')},
          {OutputKey: 'RedisBackupBucketName', OutputValue: BUCKET},
        ],
      }),
    )
  }
  const replicaPorts = async () => {
    const primary = await harness.masterPort()
    return harness.nodes.filter((node) => node.port !== primary).map((node) => node.port)
  }
  /** Each Sentinel's slave-priority for the replicas, in replicaPorts() order. */
  const sentinelPriorities = async () => {
    const ports = await replicaPorts()
    return Promise.all(harness.sentinels.map(async (sentinel) => {
      const known = ((await harness.client(sentinel.port).call('SENTINEL', 'REPLICAS', harness.masterName)) as string[][]).map(pairs)
      return ports.map((port) => known.find((entry) => Number(entry.port) === port)?.['slave-priority'])
    }))
  }
  const priorities = async () => Promise.all((await replicaPorts()).map(async (port) => ((await harness.client(port).call('CONFIG', 'GET', 'replica-priority')) as string[])[1]))

  beforeAll(async () => {
    harness = await startRedisHarness()
    // The backup: keys restore:0..99 saved on a replica, as `fintech redis backup` would.
    const primary = harness.client(await harness.masterPort())
    for (let index = 0; index < 100; index++) await primary.set(`restore:${index}`, `v${index}`)
    const replica = harness.nodes.find((node) => node.name === 'replica1')!
    await waitFor('replica1 to hold the keys', async () => (await harness.client(replica.port).exists('restore:99')) === 1)
    const before = Number(await harness.client(replica.port).lastsave())
    await harness.client(replica.port).bgsave()
    await waitFor('the BGSAVE', async () => {
      const info = parseInfo((await harness.client(replica.port).call('INFO', 'persistence')) as string)
      return info.rdb_bgsave_in_progress === '0' && Number(info.rdb_last_save_time) >= before && info.rdb_last_bgsave_status === 'ok'
    })
    backupFile = join(mkdtempSync(join(tmpdir(), 'fintech-backup-')), 'backup.rdb')
    copyFileSync(join(harness.dir, 'replica1.rdb'), backupFile)
    // What happened after the backup, which the restore must undo.
    for (let index = 0; index < 50; index++) await primary.set(`after:${index}`, 'x')
    await primary.del('restore:0')
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    await harness?.stop()
  })
  beforeEach(() => {
    audit = resetAws()
    ssm.reset()
    process.env.REDISCLI_AUTH = harness.password
    useStack('dev')
    s3.on(HeadObjectCommand, {Bucket: BUCKET, Key: KEY}).resolves({ContentLength: 4096, LastModified: new Date('2026-11-02T01:00:00Z')})
    s3.on(HeadObjectCommand, {Bucket: BUCKET, Key: 'dev/missing.rdb'}).rejects(Object.assign(new Error('NotFound'), {name: 'NotFound', $metadata: {httpStatusCode: 404}}))
  })

  it('--dry-run checks the backup and prints the steps; no SSM command, no replica touched', async () => {
    const run = await runCli(RedisRestore, ['--env', 'dev', '--backup', KEY, '--dry-run'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stdout).toContain(`Dry run: restore of 127.0.0.1:${await harness.masterPort()} in dev from s3://${BUCKET}/${KEY} (4096 bytes, 2026-11-02T01:00:00.000Z) would:`)
    expect(run.stdout).toContain('1. set replica-priority 0 on')
    expect(run.stdout).toContain('stop fintech-redis (writes fail from here)')
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1)
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    expect(await priorities()).toEqual(['100', '100'])
    expect(audit.auditLines()).toEqual([])
  })

  it('an unknown backup key: exit 2 naming it, nothing changed', async () => {
    const run = await runCli(RedisRestore, ['--env', 'dev', '--backup', 'dev/missing.rdb'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`backup dev/missing.rdb not found in s3://${BUCKET}; nothing was changed`)
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    expect(await priorities()).toEqual(['100', '100'])
    expect(audit.auditLines()).toEqual([])
  })

  describe('prod (protected)', () => {
    const breakGlassArn = `arn:aws:sts::333333333333:assumed-role/${config.guardrails.breakGlassRole}/bob`
    beforeEach(() => {
      audit = resetAws('333333333333')
      useStack('prod')
      s3.on(HeadObjectCommand).resolves({ContentLength: 4096})
    })

    it('without --break-glass: exit 2 before anything is read or sent', async () => {
      const run = await runCli(RedisRestore, ['--env', 'prod', '--backup', 'prod/x.rdb', '--yes'])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('prod is protected: a restore replaces its data and needs --break-glass, run as the fintech-break-glass role; nothing was changed')
      expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0)
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    })

    it('--break-glass from another role: exit 2 naming the caller', async () => {
      const run = await runCli(RedisRestore, ['--env', 'prod', '--backup', 'prod/x.rdb', '--break-glass', '--yes'])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('must run as the break-glass role fintech-break-glass (guardrails.breakGlassRole), not arn:aws:sts::333333333333:assumed-role/platform/alice')
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    })

    it('the break-glass role without --yes and no terminal: exit 2, nothing changed', async () => {
      sts.on(GetCallerIdentityCommand).resolves({Account: '333333333333', Arn: breakGlassArn})
      const run = await runCli(RedisRestore, ['--env', 'prod', '--backup', 'prod/x.rdb', '--break-glass'])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('redis restore needs confirmation (prod is protected) and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
      expect(await priorities()).toEqual(['100', '100'])
    })

    it('the break-glass role with --yes goes ahead; a failed SSM command is exit 1, the replicas get their priority back, audit failed', async () => {
      sts.on(GetCallerIdentityCommand).resolves({Account: '333333333333', Arn: breakGlassArn})
      ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'cmd-r1'}})
      ssm.on(GetCommandInvocationCommand).resolves({Status: 'Failed', StandardErrorContent: 'fatal error: An error occurred (403) when calling the HeadObject operation: Forbidden'})
      const run = await runCli(RedisRestore, ['--env', 'prod', '--backup', 'prod/x.rdb', '--break-glass', '--yes'])
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain('the restore on i-0primary ended Failed (command cmd-r1): fatal error: An error occurred (403)')
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(1)
      expect(await priorities()).toEqual(['100', '100'])
      expect(audit.auditLines()).toEqual([expect.objectContaining({env: 'prod', action: 'redis restore', resource: 'i-0primary', result: 'failed', caller: breakGlassArn})])
    })
  })

  it('restores the primary from the backup without a failover while it is down; the replicas resync; the priorities come back', async () => {
    const primaryPort = await harness.masterPort()
    const primaryIndex = harness.nodes.findIndex((node) => node.port === primaryPort)
    let done = false
    let prioritiesDuringRestore: string[] = []
    ssm.on(SendCommandCommand).callsFake(async () => {
      prioritiesDuringRestore = await priorities()
      // What the script does to Redis on the node: stop, the backup in place of dump.rdb, start.
      // Down longer than the Sentinels' down-after (2 s), so they would fail over if they could.
      void (async () => {
        const node = harness.nodes[primaryIndex]!
        await harness.kill(node)
        copyFileSync(backupFile, join(harness.dir, `${node.name}.rdb`))
        await sleep(4000)
        await harness.restart(node)
        done = true
      })()
      return {Command: {CommandId: 'cmd-restore'}}
    })
    ssm.on(GetCommandInvocationCommand).callsFake(async () => (done ? {Status: 'Success', StandardOutputContent: 'restored 99 keys'} : {Status: 'InProgress'}))

    const run = await runCli(RedisRestore, ['--env', 'dev', '--backup', KEY, '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(prioritiesDuringRestore).toEqual(['0', '0'])
    expect(await harness.masterPort()).toBe(primaryPort)
    expect(run.json.result).toMatchObject({keysBefore: 149, keysAfter: 100, commandId: 'cmd-restore'})

    const sent = ssm.commandCalls(SendCommandCommand)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.args[0].input).toMatchObject({DocumentName: 'AWS-RunShellScript', InstanceIds: [IDS[primaryIndex]]})
    expect(sent[0]!.args[0].input.Parameters!.commands).toEqual(restoreScript(BUCKET, KEY, run.json.plan.stamp))
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({Bucket: BUCKET, Key: KEY})

    for (const node of harness.nodes) {
      const client = harness.client(node.port)
      expect(await client.dbsize()).toBe(100)
      expect(await client.get('restore:0')).toBe('v0')
      expect(await client.exists('after:0')).toBe(0)
    }
    expect(await priorities()).toEqual(['100', '100'])
    expect(await sentinelPriorities()).toEqual(harness.sentinels.map(() => ['100', '100']))
    expect(audit.auditLines()).toEqual([expect.objectContaining({env: 'dev', action: 'redis restore', resource: IDS[primaryIndex], result: 'ok'})])

    // The tier handed back can fail over at once: no Sentinel still counts the replicas out (NOGOODSLAVE).
    const failover = await runCli(RedisFailover, ['--env', 'dev', '--json'])
    expect(failover.exitCode, failover.stderr).toBe(0)
    expect(failover.json.oldPrimary).toBe(`127.0.0.1:${primaryPort}`)
    expect(await harness.masterPort()).not.toBe(primaryPort)
  })

  describe('a replica that refuses its priority back (CONFIG SET denied by ACL)', () => {
    let refusing: number
    beforeEach(async () => {
      refusing = (await replicaPorts())[0]!
    })
    afterEach(async () => {
      const node = harness.client(refusing)
      await node.call('ACL', 'SETUSER', 'default', '+config|set')
      await node.call('CONFIG', 'SET', 'replica-priority', '100')
    })
    /** Once the replicas are held at priority 0, the first replica stops accepting CONFIG SET. */
    const denyConfigSetWhileRestoring = (answer: Partial<GetCommandInvocationCommandOutput>) => {
      ssm.on(SendCommandCommand).callsFake(async () => {
        await harness.client(refusing).call('ACL', 'SETUSER', 'default', '-config|set')
        return {Command: {CommandId: 'cmd-acl'}}
      })
      ssm.on(GetCommandInvocationCommand).resolves(answer)
    }

    it('after a restore that worked: exit 3 naming the replica, the other one back, audit failed', async () => {
      denyConfigSetWhileRestoring({Status: 'Success', StandardOutputContent: 'restored'})
      const primary = `127.0.0.1:${await harness.masterPort()}`
      const [, other] = await replicaPorts()
      const run = await runCli(RedisRestore, ['--env', 'dev', '--backup', KEY])
      expect(run.exitCode).toBe(3)
      expect(run.stderr).toContain(
        `${primary} is restored and the replicas resynced, but 127.0.0.1:${refusing} keeps replica-priority 0 (Sentinel will never promote it) because setting it back to 100 failed: NOPERM`,
      )
      expect(run.stderr).toContain('run CONFIG SET replica-priority 100 on it')
      expect(await harness.client(refusing).call('CONFIG', 'GET', 'replica-priority')).toEqual(['replica-priority', '0'])
      expect(await harness.client(other!).call('CONFIG', 'GET', 'replica-priority')).toEqual(['replica-priority', '100'])
      expect(audit.auditLines()).toEqual([expect.objectContaining({action: 'redis restore', result: 'failed', detail: expect.stringContaining(`127.0.0.1:${refusing} keeps replica-priority 0`)})])
    })

    it('after a failed SSM command: exit 1 with both the command\'s failure and the replica named', async () => {
      denyConfigSetWhileRestoring({Status: 'Failed', StandardErrorContent: 'not an RDB file'})
      const run = await runCli(RedisRestore, ['--env', 'dev', '--backup', KEY])
      expect(run.exitCode).toBe(1)
      expect(run.stderr).toContain(`ended Failed (command cmd-acl): not an RDB file; and 127.0.0.1:${refusing} keeps replica-priority 0 (Sentinel will never promote it)`)
      expect(await harness.client(refusing).call('CONFIG', 'GET', 'replica-priority')).toEqual(['replica-priority', '0'])
    })
  })
})

describe('restore pieces', () => {
  it('recognises only the break-glass role itself in the STS caller ARN', () => {
    expect(isBreakGlassCaller('arn:aws:sts::333333333333:assumed-role/fintech-break-glass/bob', 'fintech-break-glass')).toBe(true)
    expect(isBreakGlassCaller('arn:aws:sts::333333333333:assumed-role/fintech-break-glass-ro/bob', 'fintech-break-glass')).toBe(false)
    expect(isBreakGlassCaller('arn:aws:iam::333333333333:user/fintech-break-glass', 'fintech-break-glass')).toBe(false)
    expect(isBreakGlassCaller('arn:aws-us-gov:sts::333333333333:assumed-role/fintech-break-glass/x', 'fintech-break-glass')).toBe(true)
  })

  it('the node script fetches and checks the RDB before it stops Redis, keeps the old files, and turns AOF back on after the load', () => {
    const script = restoreScript(BUCKET, "dev/it's.rdb", '20261122T054237Z')
    const at = (text: string) => script.findIndex((line) => line.includes(text))
    expect(script[at('aws s3 cp')]).toBe(`aws s3 cp 's3://${BUCKET}/dev/it'\\''s.rdb' /var/lib/fintech-redis/restore-20261122T054237Z.rdb --only-show-errors`)
    expect(at('aws s3 cp')).toBeLessThan(at('!= REDIS'))
    expect(at('!= REDIS')).toBeLessThan(at('systemctl stop fintech-redis'))
    expect(at('systemctl stop fintech-redis')).toBeLessThan(at('mv /var/lib/fintech-redis/$file /var/lib/fintech-redis/before-restore-20261122T054237Z/'))
    expect(at('before-restore')).toBeLessThan(at('mv /var/lib/fintech-redis/restore-'))
    expect(at("s/^appendonly yes$/appendonly no/")).toBeLessThan(at('systemctl start fintech-redis'))
    expect(at('systemctl start fintech-redis')).toBeLessThan(at('CONFIG SET appendonly yes'))
    expect(at('CONFIG SET appendonly yes')).toBeLessThan(at('CONFIG REWRITE'))
    expect(script[at('REDISCLI_AUTH')]).toBe(`export REDISCLI_AUTH="$(awk '$1 == "requirepass" {gsub(/"/, "", $2); print $2}' /etc/fintech-redis/redis.conf)"`)
    expect(script.join('\n')).not.toContain('harness-pass')
  })
})
