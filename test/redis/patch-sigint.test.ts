/**
 * A real SIGINT to the built CLI during `fintech redis patch`: the AWS side is moto_server (STS,
 * the data stack's outputs, SSM Run Command, whose commands moto reports done at once), the
 * Redis side real redis-server and redis-sentinel processes.
 */
import {CloudFormationClient, CreateStackCommand} from '@aws-sdk/client-cloudformation'
import {ListCommandsCommand, SSMClient} from '@aws-sdk/client-ssm'
import {Redis} from 'ioredis'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {acquireMoto, REGION, startCli, type Moto} from '../integration/moto.js'
import {parseInfo, startRedisHarness, type RedisHarness} from '../helpers/redis-harness.js'

const IDS = ['i-0node0', 'i-0node1', 'i-0node2']

/** The data stack as `fintech redis` reads it: its outputs only. */
const dataTemplate = (outputs: Record<string, string>) =>
  JSON.stringify({
    Resources: {Marker: {Type: 'AWS::CloudFormation::WaitConditionHandle'}},
    Outputs: Object.fromEntries(Object.entries(outputs).map(([name, value]) => [name, {Value: value}])),
  })

describe('fintech redis patch: a real SIGINT (built CLI, moto for AWS, real Redis and Sentinel)', () => {
  let moto: Moto
  let harness: RedisHarness
  let project: string

  beforeAll(async () => {
    ;[moto, harness] = await Promise.all([acquireMoto(), startRedisHarness()])
    project = mkdtempSync(join(tmpdir(), 'fintech-patch-sigint-'))
    mkdirSync(join(project, 'templates'))
    const outputs = {
      RedisMasterName: harness.masterName,
      RedisSentinelAddresses: harness.sentinelAddresses.join(','),
      RedisNodeAddresses: harness.nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
      RedisInstanceIds: IDS.join(','),
    }
    writeFileSync(join(project, 'templates/data.json'), dataTemplate(outputs))
    writeFileSync(join(project, 'templates/compute.json'), JSON.stringify({Parameters: {RedisMasterName: {Type: 'String'}}, Resources: {}}))
    writeFileSync(
      join(project, 'fintech.config.yaml'),
      [
        'project: fintech',
        'requiredTags: [Environment]',
        'environments:',
        '  dev:',
        '    account: "123456789012"',
        `    region: ${REGION}`,
        '    protected: false',
        '    tags: {Environment: dev}',
        'stages:',
        '  - name: data',
        '    stacks:',
        '      - id: data',
        '        template: templates/data.json',
        '  - name: compute',
        '    stacks:',
        '      - id: compute',
        '        template: templates/compute.json',
        '        parameters:',
        '          RedisMasterName: {stackOutput: data.RedisMasterName}',
        '',
      ].join('\n'),
    )
    const cfn = new CloudFormationClient({endpoint: moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts: 1})
    await cfn.send(new CreateStackCommand({StackName: 'fintech-dev-data', TemplateBody: dataTemplate(outputs)}))
    cfn.destroy()
  })
  afterAll(async () => {
    await harness?.stop()
    moto?.release()
  })

  it('SIGINT once SENTINEL FAILOVER is sent: the failover is finished (one master, writes released), the old primary gets no command, the report and audit say so, exit 130', async () => {
    const before = await harness.masterPort()
    const oldPrimary = IDS[harness.nodes.findIndex((node) => node.port === before)]!
    const replicas = IDS.filter((id) => id !== oldPrimary)
    const auditLog = join(project, 'audit.jsonl')
    // A Sentinel publishes +try-failover before it answers SENTINEL FAILOVER.
    const subscribers = harness.sentinels.map((sentinel) => new Redis({port: sentinel.port, host: '127.0.0.1', password: harness.password}))
    try {
      await Promise.all(subscribers.map((subscriber) => subscriber.subscribe('+try-failover')))
      const accepted = new Promise<void>((resolve) => subscribers.forEach((subscriber) => subscriber.on('message', () => resolve())))
      const cli = startCli(moto, ['redis', 'patch', '--env', 'dev', '--config', join(project, 'fintech.config.yaml'), '--json'], auditLog, {REDISCLI_AUTH: harness.password})
      await accepted
      cli.child.kill('SIGINT')
      const run = await cli.done

      expect(run.signal, run.stderr).toBeNull()
      expect(run.exitCode, run.stderr).toBe(130)
      expect(run.stderr).toContain('planned failover: Ctrl-C: SENTINEL FAILOVER was sent and cannot be taken back, so the failover is finished')
      const after = await harness.masterPort()
      expect(after).not.toBe(before)
      const roles = await Promise.all(harness.nodes.map(async (node) => ((await harness.client(node.port).call('ROLE')) as unknown[])[0]))
      expect(roles).toEqual(harness.nodes.map((node) => (node.port === after ? 'master' : 'slave')))
      const blocked = await Promise.all(harness.nodes.map(async (node) => Number(parseInfo((await harness.client(node.port).call('INFO', 'clients')) as string).blocked_clients)))
      expect(blocked).toEqual([0, 0, 0])
      expect(await harness.client(after).set('fintech:after-patch-sigint', '1')).toBe('OK')

      expect(run.json.result.failover).toMatchObject({oldPrimary: `127.0.0.1:${before}`, newPrimary: `127.0.0.1:${after}`, interrupted: {outcome: 'finished'}})
      expect(run.json.result.interrupted).toEqual({notPatched: [{address: `127.0.0.1:${before}`, instanceId: oldPrimary, as: 'old primary'}]})
      expect(run.json.result.patched.map((node: {instanceId: string}) => node.instanceId).sort()).toEqual(replicas.sort())

      const ssm = new SSMClient({endpoint: moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
      const {Commands = []} = await ssm.send(new ListCommandsCommand({}))
      ssm.destroy()
      expect(Commands.flatMap((command) => command.InstanceIds ?? []).sort()).toEqual(replicas.sort())

      expect(run.audit.map((line) => [line.action, line.result, (line as {resource?: string}).resource])).toEqual([
        ['redis patch', 'ok', run.json.result.patched[0].instanceId],
        ['redis patch', 'ok', run.json.result.patched[1].instanceId],
        ['redis patch', 'ok', harness.masterName],
        ['redis patch', 'no-changes', harness.masterName],
      ])
      expect(run.audit.at(-1)!.detail).toBe(`interrupted by Ctrl-C: not patched: 127.0.0.1:${before} (${oldPrimary})`)
    } finally {
      for (const subscriber of subscribers) subscriber.disconnect()
    }
  })
})
