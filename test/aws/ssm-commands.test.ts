import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {runShellScript, runShellScriptOnTagged, sendCommandOnce} from '../../src/aws/ssm.js'
import {InterruptedError} from '../../src/core/clock.js'
import {FintechError} from '../../src/core/errors.js'

const ssm = mockClient(SSMClient)
const TARGET = {region: 'eu-west-1'}
const ON = {tag: {key: 'fintech:component', value: 'redis'}, environment: 'dev'}

beforeEach(() => {
  ssm.reset()
  vi.useFakeTimers({toFake: ['Date'], now: new Date('2026-12-01T03:00:00Z')})
  ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'cmd-1'}})
})
afterEach(() => vi.useRealTimers())

/** Waits that only move the clock. */
const sleep = async (ms: number) => void vi.setSystemTime(Date.now() + ms)

describe('runShellScriptOnTagged', () => {
  it('targets the tag and the env, and passes when every instance succeeded', async () => {
    ssm
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({CommandInvocations: [{InstanceId: 'i-1', Status: 'InProgress'}]})
      .resolves({CommandInvocations: [{InstanceId: 'i-1', Status: 'Success', CommandPlugins: [{Output: 'ok\n'}]}, {InstanceId: 'i-2', Status: 'Success', CommandPlugins: [{Output: 'ok'}]}]})
    const result = await runShellScriptOnTagged(TARGET, ON, ['redis-cli ping'], {comment: 'c', timeoutSeconds: 60, signal: new AbortController().signal, sleep})
    expect(result).toEqual({exitCode: 0, stdout: 'i-1: ok\ni-2: ok', stderr: ''})
    expect(ssm.commandCalls(SendCommandCommand)[0]!.args[0].input).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      Targets: [{Key: 'tag:fintech:component', Values: ['redis']}, {Key: 'tag:Environment', Values: ['dev']}],
      Parameters: {commands: ['redis-cli ping'], executionTimeout: ['60']},
    })
  })

  it('fails when one instance failed, naming it', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({CommandInvocations: [{InstanceId: 'i-1', Status: 'Success'}, {InstanceId: 'i-2', Status: 'Failed', StatusDetails: 'Failed'}]})
    const result = await runShellScriptOnTagged(TARGET, ON, ['false'], {comment: 'c', timeoutSeconds: 60, signal: new AbortController().signal, sleep})
    expect(result).toMatchObject({exitCode: 1, stderr: 'i-2: Failed Failed'})
  })

  it('says so soon when no instance carries the tag, instead of waiting out the timeout', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({CommandInvocations: []})
    const result = await runShellScriptOnTagged(TARGET, ON, ['true'], {comment: 'c', timeoutSeconds: 600, signal: new AbortController().signal, sleep})
    expect(result).toEqual({exitCode: 1, stdout: '', stderr: 'no instance of dev carries the tag fintech:component=redis (command cmd-1 has no invocation)'})
    // Polls 1, 2, 4, 8, 10 and 10 s apart: the sixth, 35 s in, is past the 30 s it gives SSM to find a target.
    expect(ssm.commandCalls(ListCommandInvocationsCommand)).toHaveLength(6)
  })

  it('cancels the command on the instances when stopped from here', async () => {
    ssm.on(ListCommandInvocationsCommand).resolves({CommandInvocations: [{InstanceId: 'i-1', Status: 'InProgress'}]})
    ssm.on(CancelCommandCommand).resolves({})
    const controller = new AbortController()
    let polls = 0
    const stopping = async (ms: number) => {
      await sleep(ms)
      if (++polls === 3) {
        controller.abort()
        throw new Error('aborted')
      }
    }
    await expect(runShellScriptOnTagged(TARGET, ON, ['sleep 100'], {comment: 'c', timeoutSeconds: 600, signal: controller.signal, sleep: stopping})).rejects.toThrow('aborted')
    expect(ssm.commandCalls(CancelCommandCommand).map((call) => call.args[0].input)).toEqual([{CommandId: 'cmd-1'}])
  })
})

describe('sendCommandOnce: SendCommand takes no token, so a lost answer must not run the script twice', () => {
  const FAILOVER = {DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-1'], Parameters: {commands: ['redis-cli -p 26379 sentinel failover fintech-dev']}, Comment: 'fintech redis failover'}
  const MARKED = /^fintech redis failover #[0-9a-f]{12}$/
  const lost = () => Object.assign(new Error('a request has exceeded the configured 15000 ms requestTimeout.'), {name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: {attempts: 1}})
  const ssmError = (name: string, status: number) => new SSMServiceException({name, message: name, $fault: status >= 500 ? 'server' : 'client', $metadata: {httpStatusCode: status, attempts: 1}})
  const sentComments = () => ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input.Comment)
  const waits: number[] = []
  const pause = async (ms: number) => void waits.push(ms)

  beforeEach(() => {
    ssm.reset()
    waits.length = 0
  })

  it('goes on with the command SSM has when the answer to the send was lost, without sending it again', async () => {
    ssm.on(SendCommandCommand).rejects(lost())
    ssm.on(ListCommandsCommand).callsFake(() => ({
      Commands: [
        {CommandId: 'cmd-other', Comment: 'fintech redis failover #000000000000'},
        {CommandId: 'cmd-lost', Comment: sentComments()[0]},
      ],
    }))

    expect(await sendCommandOnce(TARGET, FAILOVER, pause)).toBe('cmd-lost')
    expect(sentComments()).toHaveLength(1)
    expect(sentComments()[0]).toMatch(MARKED)
    // Commands sent from five minutes before now (the clock is at 03:00), for clock skew.
    expect(ssm.commandCalls(ListCommandsCommand)[0]!.args[0].input).toEqual({Filters: [{key: 'InvokedAfter', value: '2026-12-01T02:55:00Z'}], MaxResults: 50})
  })

  it('sends it again, with the same mark, when SSM has no such command (a 500 before it ran)', async () => {
    ssm.on(SendCommandCommand).rejectsOnce(ssmError('InternalServerError', 500)).resolves({Command: {CommandId: 'cmd-2'}})
    ssm.on(ListCommandsCommand).resolves({Commands: []})

    expect(await sendCommandOnce(TARGET, FAILOVER, pause)).toBe('cmd-2')
    expect(sentComments()).toHaveLength(2)
    expect(sentComments()[1]).toBe(sentComments()[0])
    expect(waits).toEqual([500])
  })

  it('sends a throttled command again after a pause without looking for it: SSM refused it before running anything', async () => {
    ssm.on(SendCommandCommand).rejectsOnce(ssmError('ThrottlingException', 400)).rejectsOnce(ssmError('ThrottlingException', 400)).resolves({Command: {CommandId: 'cmd-3'}})

    expect(await sendCommandOnce(TARGET, FAILOVER, pause)).toBe('cmd-3')
    expect(ssm.commandCalls(ListCommandsCommand)).toHaveLength(0)
    expect(waits).toEqual([500, 1000])
  })

  it('does not send a refused command again', async () => {
    ssm.on(SendCommandCommand).rejects(ssmError('InvalidInstanceId', 400))

    await expect(sendCommandOnce(TARGET, FAILOVER, pause)).rejects.toMatchObject({name: 'InvalidInstanceId'})
    expect(sentComments()).toHaveLength(1)
    expect(ssm.commandCalls(ListCommandsCommand)).toHaveLength(0)
  })

  it('gives up after 8 sends, each one looked for first', async () => {
    ssm.on(SendCommandCommand).rejects(ssmError('InternalServerError', 500))
    ssm.on(ListCommandsCommand).resolves({Commands: []})

    await expect(sendCommandOnce(TARGET, FAILOVER, pause)).rejects.toMatchObject({name: 'InternalServerError'})
    expect(sentComments()).toHaveLength(8)
    expect(ssm.commandCalls(ListCommandsCommand)).toHaveLength(7)
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000])
  })

  it('says the command may have run, and how to find it, when looking for it fails too', async () => {
    ssm.on(SendCommandCommand).rejects(lost())
    ssm.on(ListCommandsCommand).rejects(ssmError('AccessDeniedException', 400))

    const failure = await sendCommandOnce(TARGET, FAILOVER, pause).then(
      () => expect.fail('the send succeeded'),
      (error: unknown) => error as Error,
    )
    expect(failure).toBeInstanceOf(FintechError)
    expect(failure.message).toBe(
      `a request has exceeded the configured 15000 ms requestTimeout; the command may have run, and looking for it failed too (AccessDeniedException): ` +
        `find the command with the comment "${sentComments()[0]}" in the Run Command history before running it again`,
    )
    expect(sentComments()).toHaveLength(1)
  })

  it('is how runShellScript sends its script', async () => {
    ssm.on(SendCommandCommand).rejects(lost())
    ssm.on(ListCommandsCommand).callsFake(() => ({Commands: [{CommandId: 'cmd-lost', Comment: sentComments()[0]}]}))
    ssm.on(GetCommandInvocationCommand).resolves({Status: 'Success', StandardOutputContent: 'OK'})

    expect(await runShellScript(TARGET, 'i-1', ['redis-cli ping'], {comment: 'fintech redis backup', timeoutSeconds: 60, sleep})).toEqual({status: 'Success', output: 'OK', commandId: 'cmd-lost'})
    expect(sentComments()).toHaveLength(1)
    expect(ssm.commandCalls(GetCommandInvocationCommand)[0]!.args[0].input).toEqual({CommandId: 'cmd-lost', InstanceId: 'i-1'})
  })
})

describe('runShellScript under Ctrl-C: the wait for the command ends, the command runs on', () => {
  it('names the command as soon as SSM has it; Ctrl-C between polls ends the wait with InterruptedError and cancels nothing', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({Status: 'InProgress'})
    const controller = new AbortController()
    const heard: string[] = []
    let sleeps = 0
    const ctrlCOnSecondSleep = async (ms: number) => {
      await sleep(ms)
      if (++sleeps === 2) controller.abort()
    }
    const running = runShellScript(TARGET, 'i-1', ['dnf upgrade -y --security redis6'], {comment: 'fintech redis patch', timeoutSeconds: 900, sleep: ctrlCOnSecondSleep, signal: controller.signal, sent: (id) => heard.push(id)})
    await expect(running).rejects.toBeInstanceOf(InterruptedError)
    expect(heard).toEqual(['cmd-1'])
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(1)
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(1)
    expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(0)
  })

  it('a Ctrl-C while SendCommand is on its way: the send is waited for, then not one poll', async () => {
    const controller = new AbortController()
    ssm.on(SendCommandCommand).callsFake(() => {
      controller.abort()
      return {Command: {CommandId: 'cmd-7'}}
    })
    const heard: string[] = []
    await expect(runShellScript(TARGET, 'i-1', ['true'], {comment: 'c', timeoutSeconds: 900, signal: controller.signal, sent: (id) => heard.push(id)})).rejects.toBeInstanceOf(InterruptedError)
    expect(heard).toEqual(['cmd-7'])
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0)
    expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(0)
  })

  it('its own wait between polls ends at Ctrl-C, before the first poll is due', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({Status: 'InProgress'})
    const controller = new AbortController()
    const running = runShellScript(TARGET, 'i-1', ['true'], {comment: 'c', timeoutSeconds: 900, signal: controller.signal, sent: () => setImmediate(() => controller.abort())})
    await expect(running).rejects.toBeInstanceOf(InterruptedError)
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0)
  })
})
