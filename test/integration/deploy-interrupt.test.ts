/**
 * Ctrl-C during `fintech deploy --stage all`, for real: the built CLI deploys four stages
 * against moto_server through the fault proxy, which slows the answers down so the run takes
 * seconds, and the test sends SIGINT at a moment it reads from the proxy's log (not a timer).
 */
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {startFaultProxy, type FaultProxy} from '../helpers/fault-proxy.js'
import {STACKS, changeSetsOf, explain, fourStagePlatform, listStacks, startCli, useMoto} from './moto.js'

const ctx = useMoto()
let proxy: FaultProxy
beforeEach(async () => {
  proxy = await startFaultProxy({target: ctx.moto.endpoint})
})
afterEach(async () => {
  await proxy.close()
})

const ALERTS = 'fintech-dev-alerts'
const CHANGING = new Set(['CreateChangeSet', 'ExecuteChangeSet', 'CreateStack', 'UpdateStack', 'DeleteStack', 'ContinueUpdateRollback'])

const deployAll = (config: string) => startCli(proxy, ['deploy', '--stage', 'all', '--env', 'dev', '--config', config, '--yes'], ctx.auditLog)

/** Resolves once `text` has appeared on the CLI's stderr. */
async function untilStderr(cli: ReturnType<typeof startCli>, text: string): Promise<void> {
  if (cli.output().stderr.includes(text)) return
  await new Promise<void>((resolve) => {
    const onData = () => {
      if (!cli.output().stderr.includes(text)) return
      cli.child.stderr!.off('data', onData)
      resolve()
    }
    cli.child.stderr!.on('data', onData)
  })
}

describe('Ctrl-C during deploy --stage all, through a slow endpoint', {timeout: 90_000}, () => {
  it('starts no change set, execution or stack after the first Ctrl-C, reports the executing stack as going on, and exits 130', async () => {
    const config = fourStagePlatform(ctx.dir)
    // Every read is slow, and the answer to ExecuteChangeSet comes late, so SIGINT reaches the
    // CLI while it still waits for the answer of a change the emulator has already made.
    proxy.setRules([
      {match: /^(DescribeStacks|DescribeStackEvents|DescribeChangeSet|GetTemplate)$/, effect: 'delay', delayMs: 300},
      {match: 'ExecuteChangeSet', effect: 'delay', delayMs: 1_000},
    ])
    const cli = deployAll(config)
    const executed = await proxy.waitFor((entry) => entry.operation === 'ExecuteChangeSet' && entry.state === 'forwarded')
    const lastBeforeInterrupt = proxy.log.length
    cli.child.kill('SIGINT')
    const run = await cli.done

    expect(run.exitCode, explain(run)).toBe(130)
    expect(executed.seq).toBeLessThanOrEqual(lastBeforeInterrupt)
    // Nothing changing reached the endpoint after the Ctrl-C; before it, only the first stack's change set.
    const changing = proxy.log.filter((entry) => CHANGING.has(entry.operation))
    expect(changing.filter((entry) => entry.seq > lastBeforeInterrupt)).toEqual([])
    expect(changing.map((entry) => entry.operation)).toEqual(['CreateChangeSet', 'ExecuteChangeSet'])
    expect((await listStacks(ctx.moto)).map((stack) => stack.StackName)).toEqual([STACKS.network])
    expect((await changeSetsOf(ctx.moto, STACKS.network)).map((summary) => summary.ExecutionStatus)).toEqual(['EXECUTE_COMPLETE'])

    // The executing stack goes on in CloudFormation; the later ones never started.
    expect(run.stdout).toMatch(new RegExp(`${STACKS.network}\\s*│\\s*interrupted`))
    for (const name of [STACKS.access, STACKS.servers, ALERTS]) expect(run.stdout).toMatch(new RegExp(`${name}\\s*│\\s*skipped.*not started: Ctrl-C`))
    expect(run.stdout).toContain(`Stopped waiting: ${STACKS.network} go on in CloudFormation.`)
    expect(run.stderr).toContain('Ctrl-C: no new change set, execution or stack starts')
    expect(run.audit.map((line) => [line.stack, line.action, line.result])).toEqual([
      [STACKS.network, 'create-change-set', 'ok'],
      [STACKS.network, 'execute-change-set', 'in-progress'],
    ])
  })

  it('exits at once on a second Ctrl-C while the first waits for an answer, auditing the call left unanswered', async () => {
    const config = fourStagePlatform(ctx.dir)
    // The emulator creates the change set; its answer is held far longer than the test runs.
    proxy.setRules([{match: 'CreateChangeSet', effect: 'delay', delayMs: 600_000}])
    const cli = deployAll(config)
    const created = await proxy.waitFor((entry) => entry.operation === 'CreateChangeSet' && entry.state === 'forwarded')
    cli.child.kill('SIGINT')
    // The first Ctrl-C is taken: the CLI says so, then keeps waiting for the change set's id to delete it.
    await untilStderr(cli, 'Ctrl-C again exits at once')
    cli.child.kill('SIGINT')
    const run = await cli.done

    expect(run.exitCode, explain(run)).toBe(130)
    // It did not wait: the answer to CreateChangeSet was still held when the CLI had exited.
    expect(proxy.log.find((entry) => entry.seq === created.seq)?.state).toBe('forwarded')
    expect(proxy.log.filter((entry) => entry.operation === 'ExecuteChangeSet')).toEqual([])
    expect(run.stderr).toContain('Ctrl-C again: exiting now, without waiting for the calls in flight.')
    expect(run.stderr).toContain(`Sent without an answer yet: create-change-set on ${STACKS.network}.`)
    expect(run.audit.map((line) => [line.stack, line.action, line.result, line.detail])).toEqual([
      [STACKS.network, 'create-change-set', 'in-progress', 'no change set id yet: no answer yet when a second Ctrl-C ended fintech'],
    ])
  })
})
