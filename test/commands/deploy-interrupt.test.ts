/**
 * Ctrl-C handling between the signal and the deploy engine: withInterrupt's two presses, and
 * `fintech deploy` run in-process against mocked AWS with SIGINT raised inside a call.
 */
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {withInterrupt} from '../../src/cli/aws-session.js'
import Deploy from '../../src/commands/deploy.js'
import {cfn, event, notFound, resetAws, stack, stackId} from '../helpers/aws-mocks.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const NETWORK = 'fintech-dev-network'
const DATA = 'fintech-dev-data'

describe('withInterrupt', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('does not exit on a later Ctrl-C while holdExit gives a reason, and says it; once it gives none, exits', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const written: string[] = []
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true))
    let reason: string | undefined = 'writes on 10.0.2.11:6379 are paused until the failover step releases them'
    let finish: () => void = () => undefined
    const running = withInterrupt(() => new Promise<void>((resolve) => (finish = resolve)), {holdExit: () => reason})
    process.emit('SIGINT')
    process.emit('SIGINT')
    expect(exit).not.toHaveBeenCalled()
    expect(written).toContain('Ctrl-C again: not exiting yet: writes on 10.0.2.11:6379 are paused until the failover step releases them\n')
    reason = undefined
    process.emit('SIGINT')
    expect(exit).toHaveBeenCalledWith(130)
    finish()
    await running
  })

  it('fires the signal at the first Ctrl-C and keeps listening; the second exits 130 at once', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const listeners = process.listenerCount('SIGINT')
    const said: string[] = []
    let finish: () => void = () => undefined
    let seen: AbortSignal | undefined

    const running = withInterrupt(
      ({signal}) => {
        seen = signal
        return new Promise<string>((resolve) => (finish = () => resolve('done')))
      },
      {onFirst: () => said.push('first'), onSecond: () => said.push('second')},
    )
    process.emit('SIGINT')
    expect(seen?.aborted).toBe(true)
    expect(said).toEqual(['first'])
    expect(exit).not.toHaveBeenCalled()

    process.emit('SIGINT')
    expect(said).toEqual(['first', 'second'])
    expect(exit).toHaveBeenCalledWith(130)
    expect(stderr).toHaveBeenCalledWith('Ctrl-C again: exiting now, without waiting for the calls in flight.\n')

    finish()
    expect(await running).toBe('done')
    expect(process.listenerCount('SIGINT')).toBe(listeners)
  })

  it('lets any number of waits listen to its signal without a leak warning', async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      await withInterrupt(async ({signal}) => {
        for (let i = 0; i < 20; i++) signal.addEventListener('abort', () => undefined, {once: true})
      })
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.map((warning) => warning.name)).toEqual([])
  })

  it('counts a prompt\'s Ctrl-C (interrupt) as a press', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    await withInterrupt(async ({signal, interrupt}) => {
      interrupt()
      expect(signal.aborted).toBe(true)
      expect(exit).not.toHaveBeenCalled()
      process.emit('SIGINT')
      expect(exit).toHaveBeenCalledWith(130)
    })
  })
})

describe('fintech deploy on Ctrl-C', () => {
  let audit: ReturnType<typeof resetAws>
  beforeEach(() => {
    audit = resetAws()
  })

  it('deletes the change set being reviewed, starts no later stage, and exits 130 with the run in --json', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejects(notFound(NETWORK))
    cfn.on(CreateChangeSetCommand).resolves({Id: 'arn:changeset/network', StackId: stackId(NETWORK)})
    // Ctrl-C arrives while CloudFormation describes the new change set (which is ready to run).
    cfn.on(DescribeChangeSetCommand).callsFake(async () => {
      process.emit('SIGINT')
      return {Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: []}
    })

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(130)
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(CreateChangeSetCommand).map((call) => call.args[0].input.StackName)).toEqual([NETWORK])
    expect(cfn.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: 'arn:changeset/network'})
    expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({StackName: NETWORK, ClientRequestToken: expect.stringMatching(/^fintech-[0-9a-f-]{36}$/)})
    expect(run.json).toMatchObject({interrupted: true})
    expect(run.json.stages.map((stage: {stacks: Array<{stackName: string; outcome: string; detail: string}>}) => stage.stacks.map((entry) => [entry.stackName, entry.outcome, entry.detail]))).toEqual([
      [[NETWORK, 'skipped', 'Ctrl-C: its change set was deleted before execution']],
      [[DATA, 'skipped', 'not started: Ctrl-C']],
    ])
    expect(run.stderr).toContain('Ctrl-C: no new change set, execution or stack starts')
    expect(audit.auditLines().map((line) => [line.action, line.result])).toEqual([
      ['create-change-set', 'ok'],
      ['delete-change-set', 'ok'],
      ['delete-stack', 'ok'],
    ])
  })

  it('says nothing of the run is left running when Ctrl-C came before any execution', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).callsFake(async () => {
      process.emit('SIGINT')
      throw notFound(NETWORK)
    })

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(130)
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0)
    expect(run.stdout).toContain('Stopped by Ctrl-C: nothing this run started is left running in CloudFormation.')
  })

  it('stops waiting for an executing stack, names it as going on in CloudFormation, and audits it in-progress', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejectsOnce(notFound(NETWORK)).resolves(stack(NETWORK, 'CREATE_IN_PROGRESS'))
    cfn.on(CreateChangeSetCommand).resolves({Id: 'arn:changeset/network', StackId: stackId(NETWORK)})
    cfn.on(DescribeChangeSetCommand).resolves({Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: []})
    cfn.on(ExecuteChangeSetCommand).callsFake(async () => {
      process.emit('SIGINT')
      return {}
    })
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: [event(NETWORK, 'Vpc', 'CREATE_IN_PROGRESS')]})

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(130)
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(1)
    expect(run.stdout).toMatch(/fintech-dev-network\s*│\s*interrupted/)
    expect(run.stdout).toMatch(/fintech-dev-data\s*│\s*skipped.*not started: Ctrl-C/)
    expect(run.stdout).toContain(`Stopped waiting: ${NETWORK} go on in CloudFormation.`)
    expect(audit.auditLines().map((line) => [line.action, line.result])).toEqual([
      ['create-change-set', 'ok'],
      ['execute-change-set', 'in-progress'],
    ])
  })
})
