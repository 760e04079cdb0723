import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {CancelCommandCommand, GetCommandInvocationCommand, SendCommandCommand, SSMClient, type SendCommandCommandInput} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'
import {FintechCommand} from '../../src/cli/base-command.js'
import RedisPatch from '../../src/commands/redis/patch.js'
import {loadConfig} from '../../src/core/config/load.js'
import {DEFAULT_PATCH_COMMAND} from '../../src/core/redis/patch.js'
import {redisMasterStack} from '../../src/core/redis/api.js'
import {cfn, resetAws, stack} from '../helpers/aws-mocks.js'
import {parseInfo, startRedisHarness, waitFor, type RedisHarness} from '../helpers/redis-harness.js'
import {startWriter} from '../helpers/redis-writer.js'
import {runCli} from '../helpers/run-cli.js'

const ssm = mockClient(SSMClient)
const config = loadConfig('fintech.config.yaml').config
const IDS = ['i-0node0', 'i-0node1', 'i-0node2']

describe('fintech redis patch (real Redis and Sentinel; the SSM patch command simulated by restarting the node)', () => {
  let harness: RedisHarness
  let audit: ReturnType<typeof resetAws>
  /** Instance ids whose simulated command fails, with that output. */
  let failing: Map<string, string>
  /** Each SendCommand's instance, in order, whether its simulated work finished, and that work (which runs on after a Ctrl-C). */
  let runs: Array<{instanceId: string; done: boolean; failed?: string; work?: Promise<void>}>

  const useStack = (env: string) => {
    cfn.on(DescribeStacksCommand).resolves(
      stack(redisMasterStack(config, env)!, 'UPDATE_COMPLETE', {
        Outputs: [
          {OutputKey: 'RedisMasterName', OutputValue: harness.masterName},
          {OutputKey: 'RedisSentinelAddresses', OutputValue: harness.sentinelAddresses.join(',')},
          {OutputKey: 'RedisNodeAddresses', OutputValue: harness.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')},
          {OutputKey: 'RedisInstanceIds', OutputValue: IDS.join(',')},
        ],
      }),
    )
  }
  const idOf = (port: number) => IDS[harness.nodes.findIndex((node) => node.port === port)]!
  const sentInstances = () => ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input.InstanceIds![0])

  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    delete process.env.REDISCLI_AUTH
    await harness?.stop()
  })
  // The node's Redis and its Sentinel restart, as `systemctl restart fintech-redis fintech-sentinel` does.
  const simulatedSend = async (input: SendCommandCommandInput) => {
    const instanceId = input.InstanceIds![0]!
    const run: (typeof runs)[number] = {instanceId, done: false, ...(failing.has(instanceId) ? {failed: failing.get(instanceId)!} : {})}
    runs.push(run)
    if (run.failed) run.done = true
    else {
      const index = IDS.indexOf(instanceId)
      run.work = (async () => {
        await harness.kill(harness.nodes[index]!)
        await harness.kill(harness.sentinels[index]!)
        await harness.restart(harness.nodes[index]!)
        await harness.restart(harness.sentinels[index]!)
        run.done = true
      })()
    }
    return {Command: {CommandId: `cmd-${runs.length}`}}
  }

  beforeEach(async () => {
    await Promise.all((runs ?? []).map((run) => run.work))
    await harness.settled()
    audit = resetAws()
    ssm.reset()
    failing = new Map()
    runs = []
    process.env.REDISCLI_AUTH = harness.password
    useStack('dev')
    ssm.on(SendCommandCommand).callsFake(simulatedSend)
    ssm.on(GetCommandInvocationCommand).callsFake(async (input: {CommandId: string}) => {
      const run = runs[Number(input.CommandId.slice(4)) - 1]!
      if (!run.done) return {Status: 'InProgress'}
      return run.failed ? {Status: 'Failed', StandardErrorContent: run.failed} : {Status: 'Success', StandardOutputContent: 'Complete!'}
    })
  })

  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('--dry-run prints the order (replicas, then the primary after a failover) and sends nothing', async () => {
    const primary = await harness.masterPort()
    const run = await runCli(RedisPatch, ['--env', 'dev', '--dry-run', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.json.plan.command).toBe(DEFAULT_PATCH_COMMAND)
    expect(run.json.plan.steps.map((step: any) => step.as)).toEqual(['replica', 'replica', 'old primary'])
    expect(run.json.plan.steps[2]).toEqual({address: `127.0.0.1:${primary}`, instanceId: idOf(primary), as: 'old primary'})
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])
  })

  it('prod without --yes and no terminal: exit 2, nothing sent', async () => {
    audit = resetAws('333333333333')
    useStack('prod')
    const run = await runCli(RedisPatch, ['--env', 'prod'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('patch of fintech-ledger in prod not approved: needs approval')
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])
  })

  it('the first replica\'s command fails: exit 1, stops there, no failover, audit failed', async () => {
    const primary = await harness.masterPort()
    const plan = (await runCli(RedisPatch, ['--env', 'dev', '--dry-run', '--json'])).json.plan
    failing.set(plan.steps[0].instanceId, 'Error: Failed to download metadata for repo amazonlinux')
    const run = await runCli(RedisPatch, ['--env', 'dev'])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain(`patching ${plan.steps[0].address} (${plan.steps[0].instanceId}) ended Failed (command cmd-1): Error: Failed to download metadata for repo amazonlinux; stopped there`)
    expect(sentInstances()).toEqual([plan.steps[0].instanceId])
    expect(await harness.masterPort()).toBe(primary)
    expect(audit.auditLines()).toEqual([expect.objectContaining({action: 'redis patch', resource: plan.steps[0].instanceId, result: 'failed'})])
  })

  it('the second replica\'s command fails after the first was patched: exit 3, no failover', async () => {
    const primary = await harness.masterPort()
    const plan = (await runCli(RedisPatch, ['--env', 'dev', '--dry-run', '--json'])).json.plan
    failing.set(plan.steps[1].instanceId, 'dnf: exit 1')
    const run = await runCli(RedisPatch, ['--env', 'dev', '--command', 'dnf upgrade -y redis6 && systemctl restart fintech-redis fintech-sentinel'])
    expect(run.exitCode).toBe(3)
    expect(run.stderr).toContain(`patched before the failure: ${plan.steps[0].address}`)
    expect(sentInstances()).toEqual([plan.steps[0].instanceId, plan.steps[1].instanceId])
    expect(ssm.commandCalls(SendCommandCommand)[0]!.args[0].input.Parameters!.commands).toEqual(['set -euo pipefail', 'dnf upgrade -y redis6 && systemctl restart fintech-redis fintech-sentinel'])
    expect(await harness.masterPort()).toBe(primary)
    expect(audit.auditLines().map((line) => [line.resource, line.result])).toEqual([[plan.steps[0].instanceId, 'ok'], [plan.steps[1].instanceId, 'failed']])
  })

  it('patches the replicas one at a time, fails over, patches the old primary; each node back in sync before the next; no acknowledged write lost', async () => {
    const primary = await harness.masterPort()
    const replicas = harness.nodes.filter((node) => node.port !== primary).map((node) => idOf(node.port)).sort()
    // Before each command, every earlier node must already be back in sync.
    const checkedBefore: string[] = []
    // The first replica comes back with its link down, and only heals after its command reported Success.
    let healed = false
    ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
      if (runs.length > 0) expect(healed, 'the next node waits for the first one to resync').toBe(true)
      for (const run of runs) {
        const node = harness.nodes[IDS.indexOf(run.instanceId)]!
        const info = parseInfo((await harness.client(node.port).call('INFO', 'replication')) as string)
        // In sync again: a replica with its link up, or the primary the failover promoted.
        expect(info.role === 'master' || info.master_link_status === 'up', `${run.instanceId}: ${info.role} ${info.master_link_status}`).toBe(true)
        checkedBefore.push(run.instanceId)
      }
      const instanceId = input.InstanceIds![0]!
      const run = {instanceId, done: false}
      runs.push(run)
      const index = IDS.indexOf(instanceId)
      void (async () => {
        await harness.kill(harness.nodes[index]!)
        await harness.kill(harness.sentinels[index]!)
        await harness.restart(harness.nodes[index]!)
        await harness.restart(harness.sentinels[index]!)
        if (runs.length === 1) {
          await harness.breakLink(harness.nodes[index]!.port)
          setTimeout(() => {
            healed = true
            void harness.healLink(harness.nodes[index]!.port)
          }, 1500)
        }
        run.done = true
      })()
      return {Command: {CommandId: `cmd-${runs.length}`}}
    })
    const writer = startWriter(harness, 'patch')
    await waitFor('the writer to get going', async () => (await harness.client(primary).exists('patch:20')) === 1)
    const run = await runCli(RedisPatch, ['--env', 'dev', '--json'])
    const {acknowledged} = await writer.stop()
    expect(run.exitCode, run.stderr + run.stdout).toBe(0)

    const sent = sentInstances()
    expect(sent.slice(0, 2).sort()).toEqual(replicas)
    expect(sent[2]).toBe(idOf(primary))
    expect(checkedBefore).toEqual([sent[0], sent[0], sent[1]])
    expect(ssm.commandCalls(SendCommandCommand)[0]!.args[0].input).toMatchObject({DocumentName: 'AWS-RunShellScript', Parameters: {commands: ['set -euo pipefail', DEFAULT_PATCH_COMMAND]}})

    const newPrimary = await harness.masterPort()
    expect(newPrimary).not.toBe(primary)
    expect(run.json.result.failover).toMatchObject({oldPrimary: `127.0.0.1:${primary}`, newPrimary: `127.0.0.1:${newPrimary}`})
    expect(run.json.result.patched.map((node: any) => [node.instanceId, node.inSync])).toEqual(sent.map((id) => [id, true]))
    await waitFor('the old primary to be a replica in sync', async () => parseInfo((await harness.client(primary).call('INFO', 'replication')) as string).master_link_status === 'up')

    const master = harness.client(newPrimary)
    const values = await master.mget(...acknowledged)
    expect(acknowledged.filter((key, at) => values[at] !== key)).toEqual([])
    expect(acknowledged.length).toBeGreaterThan(20)
    expect(audit.auditLines().map((line) => [line.action, line.resource, line.result])).toEqual([
      ['redis patch', sent[0], 'ok'],
      ['redis patch', sent[1], 'ok'],
      ['redis patch', harness.masterName, 'ok'],
      ['redis patch', sent[2], 'ok'],
    ])
  })

  describe('Ctrl-C', () => {
    const label = (step: any) => `${step.address} (${step.instanceId}, ${step.as})`
    /** process.exit stubbed: a second Ctrl-C that exits says so here instead of ending the test run. */
    const stubExit = () => {
      const exits: Array<number | string | null | undefined> = []
      vi.spyOn(process, 'exit').mockImplementation(((code?: number) => void exits.push(code)) as typeof process.exit)
      return exits
    }

    it('while the first replica\'s command is on its way: it is sent and runs on, nothing else is sent or polled; the report names it; exit 130; audited in-progress', async () => {
      const primary = await harness.masterPort()
      const plan = (await runCli(RedisPatch, ['--env', 'dev', '--dry-run', '--json'])).json.plan
      const [first, second, old] = plan.steps
      const listeners = process.listenerCount('SIGINT')
      ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
        process.emit('SIGINT')
        return simulatedSend(input)
      })
      const run = await runCli(RedisPatch, ['--env', 'dev'])

      expect(run.exitCode, run.stderr).toBe(130)
      expect(run.stderr).toContain(`Ctrl-C: the patch command is being sent to ${label(first)}; once SSM has it, it runs on (not cancelled); no further node is patched and no failover starts`)
      expect(run.stdout).toBe(
        [
          'Interrupted patching dev (Ctrl-C).',
          `  still running: command cmd-1 on ${label(first)}; SSM runs it on (aws ssm get-command-invocation --command-id cmd-1 --instance-id ${first.instanceId})`,
          `  not patched: ${label(second)}, ${label(old)}`,
          '',
        ].join('\n'),
      )
      expect(sentInstances()).toEqual([first.instanceId])
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0)
      expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(0)
      expect(audit.auditLines()).toEqual([
        expect.objectContaining({
          action: 'redis patch',
          resource: first.instanceId,
          result: 'in-progress',
          detail: `interrupted by Ctrl-C: command cmd-1 on ${first.address} (replica) runs on, not waited for; not patched: ${second.address} (${second.instanceId}), ${old.address} (${old.instanceId})`,
        }),
      ])
      expect(process.listenerCount('SIGINT')).toBe(listeners)
      expect(runs[0]!.done, 'the CLI did not wait for the command').toBe(false)
      await runs[0]!.work
      expect(await harness.masterPort()).toBe(primary)
    })

    it('twice while the command is on its way (writes not paused): the second exits at once, audited in-progress', async () => {
      const plan = (await runCli(RedisPatch, ['--env', 'dev', '--dry-run', '--json'])).json.plan
      const exits = stubExit()
      ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
        process.emit('SIGINT')
        process.emit('SIGINT')
        return simulatedSend(input)
      })
      await runCli(RedisPatch, ['--env', 'dev'])

      expect(exits).toEqual([130])
      expect(audit.auditLines()[0]).toMatchObject({
        resource: plan.steps[0].instanceId,
        result: 'in-progress',
        detail: `Ctrl-C twice: the CLI left before the patch reported; the patch command was on its way to ${label(plan.steps[0])} (it may run); see fintech redis status`,
      })
    })

    it('while writes are paused for the failover, and again: the failover unwinds, the second Ctrl-C only says writes are still paused; the old primary gets no command; exit 130', async () => {
      const primary = await harness.masterPort()
      const plan = (await runCli(RedisPatch, ['--env', 'dev', '--dry-run', '--json'])).json.plan
      const [first, second, old] = plan.steps
      const exits = stubExit()
      const note = (FintechCommand.prototype as unknown as {note(text: string): void}).note
      vi.spyOn(FintechCommand.prototype as unknown as {note(text: string): void}, 'note').mockImplementation(function (this: unknown, text: string) {
        note.call(this, text)
        if (text === `planned failover: writes paused on 127.0.0.1:${primary}`) {
          process.emit('SIGINT')
          process.emit('SIGINT')
        }
      })
      const run = await runCli(RedisPatch, ['--env', 'dev', '--json'])

      expect(run.exitCode, run.stderr).toBe(130)
      expect(exits).toEqual([])
      expect(run.stderr).toContain('planned failover: Ctrl-C: SENTINEL FAILOVER was not sent yet, so the failover unwinds: writes released, priorities given back, the primary stays')
      expect(run.stderr).toContain(`writes on 127.0.0.1:${primary} are still paused; the CLI releases them as soon as the failover allows (Ctrl-\\ quits now and leaves them paused for up to 20 s)`)
      expect(run.stderr).toContain(`planned failover: writes on 127.0.0.1:${primary} released after`)
      expect(run.json.result.failover.interrupted).toEqual({outcome: 'unwound', skipped: []})
      expect(run.json.result.interrupted).toEqual({notPatched: [old]})
      expect(sentInstances()).toEqual([first.instanceId, second.instanceId])
      expect(await harness.masterPort()).toBe(primary)
      expect(await harness.client(primary).set('fintech:after-patch-interrupt', '1')).toBe('OK')
      const pausedMs = run.json.result.failover.writePauseMs
      expect(audit.auditLines().map((line) => [line.resource, line.result, line.detail])).toEqual([
        [first.instanceId, 'ok', expect.stringContaining(`${first.address} (replica) patched (command cmd-1)`)],
        [second.instanceId, 'ok', expect.stringContaining(`${second.address} (replica) patched (command cmd-2)`)],
        [harness.masterName, 'no-changes', `planned failover interrupted before SENTINEL FAILOVER: unwound; 127.0.0.1:${primary} is still the primary; writes paused ${pausedMs} ms`],
        [harness.masterName, 'no-changes', `interrupted by Ctrl-C: not patched: ${old.address} (${old.instanceId})`],
      ])
    })
  })
})
