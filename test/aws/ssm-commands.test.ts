import {CancelCommandCommand, ListCommandInvocationsCommand, SendCommandCommand, SSMClient} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'
import {runShellScriptOnTagged} from '../../src/aws/ssm-commands.js'

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
