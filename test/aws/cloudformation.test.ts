import {
  CloudFormationServiceException,
  ContinueUpdateRollbackCommand,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation'
import {beforeEach, describe, expect, it} from 'vitest'
import {createStackApi} from '../../src/aws/cloudformation.js'
import type {ChangeSetInput} from '../../src/core/deploy/api.js'
import {cfn, event} from '../helpers/aws-mocks.js'

const NAME = 'fintech-dev-network'
const CHANGE_SET = `arn:aws:cloudformation:eu-west-1:111111111111:changeSet/fintech-20261122100000/1`
const at = (iso: string) => new Date(iso)
/** The idempotency tokens fintech sends: one per call, starting with a letter as CloudFormation wants. */
const TOKEN = /^fintech-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A refusal as the SDK hands it over after `attempts` sends of the same request. */
const refusal = (name: string, message: string, attempts: number) =>
  new CloudFormationServiceException({name, message, $fault: 'client', $metadata: {httpStatusCode: 400, attempts}})

const CREATE: ChangeSetInput = {
  stackName: NAME,
  changeSetName: 'fintech-20261122100000',
  changeSetType: 'UPDATE',
  templateBody: 'Resources: {}',
  parameters: {},
  tags: {},
  description: 'fintech deploy dev',
}

beforeEach(() => cfn.reset())

describe('eventsSince', () => {
  it('reads newest-first pages only until the operation\'s start, and returns the new events oldest first', async () => {
    cfn.on(DescribeStackEventsCommand, {StackName: NAME, NextToken: undefined}).resolves({
      StackEvents: [
        event(NAME, 'Subnet', 'CREATE_COMPLETE', {EventId: 'e3', Timestamp: at('2026-11-22T10:00:30Z')}),
        event(NAME, 'Vpc', 'CREATE_COMPLETE', {EventId: 'e2', Timestamp: at('2026-11-22T10:00:20Z')}),
      ],
      NextToken: 'page-2',
    })
    cfn.on(DescribeStackEventsCommand, {StackName: NAME, NextToken: 'page-2'}).resolves({
      StackEvents: [
        event(NAME, 'Vpc', 'CREATE_IN_PROGRESS', {EventId: 'e1', Timestamp: at('2026-11-22T10:00:10Z')}),
        event(NAME, 'Vpc', 'CREATE_FAILED', {EventId: 'old', Timestamp: at('2026-11-01T09:00:00Z'), ResourceStatusReason: 'last month'}),
      ],
      NextToken: 'page-3',
    })
    const api = await createStackApi({region: 'eu-west-1'})

    const events = await api.eventsSince(NAME, at('2026-11-22T10:00:00Z'), new Set())

    expect(events.map((entry) => entry.eventId)).toEqual(['e1', 'e2', 'e3'])
    // The old failure ended the read: page 3 was never requested.
    expect(cfn.commandCalls(DescribeStackEventsCommand).map((call) => call.args[0].input.NextToken)).toEqual([undefined, 'page-2'])
  })

  it('stops at the first event already seen', async () => {
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event(NAME, 'Vpc', 'CREATE_COMPLETE', {EventId: 'new', Timestamp: at('2026-11-22T10:00:20Z')}),
        event(NAME, 'Vpc', 'CREATE_IN_PROGRESS', {EventId: 'seen', Timestamp: at('2026-11-22T10:00:10Z')}),
        event(NAME, 'Other', 'CREATE_IN_PROGRESS', {EventId: 'older', Timestamp: at('2026-11-22T10:00:05Z')}),
      ],
    })
    const api = await createStackApi({region: 'eu-west-1'})
    const events = await api.eventsSince(NAME, at('2026-11-22T10:00:00Z'), new Set(['seen']))
    expect(events.map((entry) => entry.eventId)).toEqual(['new'])
  })
})

describe('idempotency tokens', () => {
  it('sends a fresh token with each mutating call that takes one', async () => {
    cfn.on(CreateChangeSetCommand).resolves({Id: CHANGE_SET})
    cfn.on(ExecuteChangeSetCommand).resolves({})
    cfn.on(DeleteStackCommand).resolves({})
    cfn.on(ContinueUpdateRollbackCommand).resolves({})
    const api = await createStackApi({region: 'eu-west-1'})

    await api.createChangeSet(CREATE)
    await api.createChangeSet(CREATE)
    await api.executeChangeSet(CHANGE_SET)
    await api.deleteStack(NAME)
    await api.continueUpdateRollback(NAME)

    const tokens = [
      ...cfn.commandCalls(CreateChangeSetCommand).map((call) => call.args[0].input.ClientToken),
      cfn.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input.ClientRequestToken,
      cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input.ClientRequestToken,
      cfn.commandCalls(ContinueUpdateRollbackCommand)[0]!.args[0].input.ClientRequestToken,
    ]
    expect(tokens).toHaveLength(5)
    for (const token of tokens) expect(token).toMatch(TOKEN)
    expect(new Set(tokens).size).toBe(5)
    expect(cfn.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: CHANGE_SET, ClientRequestToken: tokens[2]})
  })
})

describe('re-sends of calls whose answer was lost', () => {
  it('goes on with the change set the first attempt created when the re-send is told it exists (an endpoint that ignores the token)', async () => {
    cfn.on(CreateChangeSetCommand).rejects(refusal('AlreadyExistsException', 'ChangeSet fintech-20261122100000 already exists', 2))
    cfn.on(DescribeChangeSetCommand).resolves({ChangeSetId: CHANGE_SET, Status: 'CREATE_IN_PROGRESS'})
    const api = await createStackApi({region: 'eu-west-1'})

    expect(await api.createChangeSet(CREATE)).toEqual({id: CHANGE_SET})
    expect(cfn.commandCalls(DescribeChangeSetCommand)[0]!.args[0].input).toEqual({StackName: NAME, ChangeSetName: 'fintech-20261122100000'})
  })

  it('still refuses a change set name that existed before the call: the first attempt was refused', async () => {
    cfn.on(CreateChangeSetCommand).rejects(refusal('AlreadyExistsException', 'ChangeSet fintech-20261122100000 already exists', 1))
    const api = await createStackApi({region: 'eu-west-1'})

    await expect(api.createChangeSet(CREATE)).rejects.toMatchObject({name: 'AlreadyExistsException'})
    expect(cfn.commandCalls(DescribeChangeSetCommand)).toHaveLength(0)
  })

  it.each(['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED'])(
    'takes an execute re-send refused for a change set now %s as the execution it is',
    async (executionStatus) => {
      cfn.on(ExecuteChangeSetCommand).rejects(refusal('InvalidChangeSetStatusException', 'ChangeSet cannot be executed in its current status', 3))
      cfn.on(DescribeChangeSetCommand).resolves({ChangeSetId: CHANGE_SET, ExecutionStatus: executionStatus as never})
      const api = await createStackApi({region: 'eu-west-1'})

      await api.executeChangeSet(CHANGE_SET)
      expect(cfn.commandCalls(DescribeChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: CHANGE_SET})
    },
  )

  it('rethrows an execute refusal when the change set is still AVAILABLE, or when it came on the first attempt', async () => {
    cfn.on(ExecuteChangeSetCommand).rejectsOnce(refusal('InvalidChangeSetStatusException', 'not executable', 2)).rejectsOnce(refusal('InvalidChangeSetStatusException', 'not executable', 1))
    cfn.on(DescribeChangeSetCommand).resolves({ChangeSetId: CHANGE_SET, ExecutionStatus: 'AVAILABLE'})
    const api = await createStackApi({region: 'eu-west-1'})

    await expect(api.executeChangeSet(CHANGE_SET)).rejects.toMatchObject({name: 'InvalidChangeSetStatusException'})
    await expect(api.executeChangeSet(CHANGE_SET)).rejects.toMatchObject({name: 'InvalidChangeSetStatusException'})
    expect(cfn.commandCalls(DescribeChangeSetCommand)).toHaveLength(1)
  })

  it('takes a delete re-send that finds the change set gone as deleted, but not a first attempt', async () => {
    cfn.on(DeleteChangeSetCommand).rejectsOnce(refusal('ChangeSetNotFoundException', 'ChangeSet does not exist', 2)).rejectsOnce(refusal('ChangeSetNotFoundException', 'ChangeSet does not exist', 1))
    const api = await createStackApi({region: 'eu-west-1'})

    await api.deleteChangeSet(CHANGE_SET)
    await expect(api.deleteChangeSet(CHANGE_SET)).rejects.toMatchObject({name: 'ChangeSetNotFoundException'})
  })
})
