import {DescribeStackEventsCommand} from '@aws-sdk/client-cloudformation'
import {beforeEach, describe, expect, it} from 'vitest'
import {createStackApi} from '../../src/aws/cloudformation.js'
import {cfn, event} from '../helpers/aws-mocks.js'

const NAME = 'fintech-dev-network'
const at = (iso: string) => new Date(iso)

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
