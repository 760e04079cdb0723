import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {ListObjectsV2Command} from '@aws-sdk/client-s3'
import {GetCommandInvocationCommand, SendCommandCommand, SSMClient} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import RedisBackup from '../../src/commands/redis/backup/index.js'
import RedisBackupList from '../../src/commands/redis/backup/list.js'
import {loadConfig} from '../../src/core/config/load.js'
import {redisMasterStack} from '../../src/core/redis/api.js'
import {cfn, resetAws, s3, stack} from '../helpers/aws-mocks.js'
import {runCli} from '../helpers/run-cli.js'
import {parseInfo, startRedisHarness, type RedisHarness} from '../helpers/redis-harness.js'

const ssm = mockClient(SSMClient)
const config = loadConfig('fintech.config.yaml').config
const dataStack = redisMasterStack(config, 'dev')!
const IDS = ['i-0primary', 'i-0replica1', 'i-0replica2']

describe('fintech redis backup (real Redis, mocked SSM and S3)', () => {
  let harness: RedisHarness
  let audit: ReturnType<typeof resetAws>
  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    await harness?.stop()
  })
  const useStack = (name: string) =>
    cfn.on(DescribeStacksCommand).resolves(
      stack(name, 'UPDATE_COMPLETE', {
        Outputs: [
          {OutputKey: 'RedisMasterName', OutputValue: harness.masterName},
          {OutputKey: 'RedisSentinelAddresses', OutputValue: harness.sentinelAddresses.join(',')},
          {OutputKey: 'RedisNodeAddresses', OutputValue: harness.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')},
          {OutputKey: 'RedisInstanceIds', OutputValue: IDS.join(',')},
          {OutputKey: 'RedisBackupBucketName', OutputValue: 'fintech-redis-backups'},
          {OutputKey: 'RedisAuthSecretArn', OutputValue: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis-auth'},
        ],
      }),
    )
  /** How often each node ran BGSAVE (INFO commandstats). */
  const bgsaves = async () =>
    Promise.all(harness.nodes.map(async (node) => Number(/calls=(\d+)/.exec(parseInfo((await harness.client(node.port).call('INFO', 'commandstats')) as string).cmdstat_bgsave ?? '')?.[1] ?? 0)))

  beforeEach(() => {
    audit = resetAws()
    ssm.reset()
    process.env.REDISCLI_AUTH = harness.password
    useStack(dataStack)
  })

  it('runs BGSAVE on a replica, then copies the RDB through SSM Run Command on that replica\'s instance', async () => {
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'cmd-1'}})
    ssm.on(GetCommandInvocationCommand).rejectsOnce(Object.assign(new Error('not yet'), {name: 'InvocationDoesNotExist'})).resolves({Status: 'Success', StandardOutputContent: 'uploaded'})
    const primaryPort = await harness.masterPort()
    const lastSaves = await Promise.all(harness.nodes.map(async (node) => Number(await harness.client(node.port).lastsave())))
    const run = await runCli(RedisBackup, ['--env', 'dev', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const replicaIndex = harness.nodes.findIndex((node) => `127.0.0.1:${node.port}` === run.json.replica)
    expect(harness.nodes[replicaIndex]!.port).not.toBe(primaryPort)
    expect(run.json.instanceId).toBe(IDS[replicaIndex])
    expect(run.json.key).toMatch(new RegExp(`^dev/\\d{4}/\\d{2}/\\d{2}/\\d{4}-${IDS[replicaIndex]}-manual\\.rdb$`))
    expect(Number(await harness.client(harness.nodes[replicaIndex]!.port).lastsave())).toBeGreaterThanOrEqual(lastSaves[replicaIndex]!)
    expect(harness.nodes.findIndex((node) => node.port === primaryPort)).not.toBe(replicaIndex)
    const sent = ssm.commandCalls(SendCommandCommand)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.args[0].input).toMatchObject({DocumentName: 'AWS-RunShellScript', InstanceIds: [IDS[replicaIndex]]})
    expect(sent[0]!.args[0].input.Parameters!.commands).toContain(`aws s3 cp /var/lib/fintech-redis/dump.rdb 's3://fintech-redis-backups/${run.json.key}' --only-show-errors`)
    expect(audit.auditLines()).toEqual([expect.objectContaining({env: 'dev', action: 'redis backup', resource: IDS[replicaIndex], result: 'ok', detail: `s3://fintech-redis-backups/${run.json.key}`})])
  })

  it('reports a failed upload with its output, exit 1, and an audit line', async () => {
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'cmd-2'}})
    ssm.on(GetCommandInvocationCommand).resolves({Status: 'Failed', StandardErrorContent: 'upload failed: AccessDenied'})
    const run = await runCli(RedisBackup, ['--env', 'dev'])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('ended Failed (command cmd-2): upload failed: AccessDenied')
    expect(audit.auditLines()).toEqual([expect.objectContaining({action: 'redis backup', result: 'failed'})])
  })

  it('--dry-run names the replica and key and sends nothing', async () => {
    const run = await runCli(RedisBackup, ['--env', 'dev', '--dry-run', '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json.dryRun).toBe(true)
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])
  })

  describe('prod (protected)', () => {
    beforeEach(() => {
      audit = resetAws('333333333333')
      useStack(redisMasterStack(config, 'prod')!)
    })

    it('without --yes and no terminal: exit 2, no BGSAVE, nothing sent, no audit line', async () => {
      const saves = await bgsaves()
      const run = await runCli(RedisBackup, ['--env', 'prod'])
      expect(run.exitCode).toBe(2)
      expect(run.stderr).toContain('backup of fintech-ledger in prod not approved: needs approval (prod is protected: BGSAVE on 127.0.0.1:')
      expect(run.stderr).toContain('there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
      expect(await bgsaves()).toEqual(saves)
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
      expect(audit.auditLines()).toEqual([])
    })

    it('--dry-run needs no approval and changes nothing', async () => {
      const saves = await bgsaves()
      const run = await runCli(RedisBackup, ['--env', 'prod', '--dry-run', '--json'])
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.json).toMatchObject({dryRun: true, key: expect.stringMatching(/^prod\//)})
      expect(await bgsaves()).toEqual(saves)
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    })

    it('--yes approves in advance: BGSAVE, the upload, an audit line', async () => {
      ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'cmd-prod'}})
      ssm.on(GetCommandInvocationCommand).resolves({Status: 'Success', StandardOutputContent: 'uploaded'})
      const saves = await bgsaves()
      const run = await runCli(RedisBackup, ['--env', 'prod', '--yes', '--json'])
      expect(run.exitCode, run.stderr).toBe(0)
      const replicaIndex = harness.nodes.findIndex((node) => `127.0.0.1:${node.port}` === run.json.replica)
      expect((await bgsaves())[replicaIndex]).toBe(saves[replicaIndex]! + 1)
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(1)
      expect(audit.auditLines()).toEqual([expect.objectContaining({env: 'prod', action: 'redis backup', resource: IDS[replicaIndex], result: 'ok'})])
    })
  })

  it('backup list shows the env\'s RDB objects newest first, across pages', async () => {
    s3.on(ListObjectsV2Command, {Bucket: 'fintech-redis-backups', Prefix: 'dev/'}).resolvesOnce({
      IsTruncated: true,
      NextContinuationToken: 't1',
      Contents: [{Key: 'dev/2026/11/01/0100-node-a.rdb', Size: 10, LastModified: new Date('2026-11-01T01:00:00Z')}],
    })
    s3.on(ListObjectsV2Command, {Bucket: 'fintech-redis-backups', Prefix: 'dev/', ContinuationToken: 't1'}).resolves({
      Contents: [{Key: 'dev/2026/11/02/0100-node-b.rdb', Size: 20, LastModified: new Date('2026-11-02T01:00:00Z')}, {Key: 'dev/notes.txt', Size: 1}],
    })
    const run = await runCli(RedisBackupList, ['--env', 'dev', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.json.backups.map((backup: any) => backup.key)).toEqual(['dev/2026/11/02/0100-node-b.rdb', 'dev/2026/11/01/0100-node-a.rdb'])
  })
})
