import {
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'
import {createEc2Api} from '../../src/aws/ec2.js'
import {InstanceBatchError} from '../../src/core/shutdown/api.js'

const ec2 = mockClient(EC2Client)
const TARGET = {region: 'eu-west-1'}

beforeEach(() => ec2.reset())

const ec2Error = (name: string, message: string, status = 400) =>
  new EC2ServiceException({name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: {httpStatusCode: status}})

const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`
const ids = (count: number, from = 0) => Array.from({length: count}, (_, n) => id(from + n))

function instance(instanceId: string, state = 'running', extra: Partial<Instance> = {}): Instance {
  return {InstanceId: instanceId, State: {Name: state as never, Code: 16}, InstanceType: 't4g.medium', Tags: [{Key: 'Environment', Value: 'dev'}], ...extra}
}
const reservations = (...instances: Instance[]) => ({Reservations: [{Instances: instances}]})

/** Answers DescribeInstances by id, as EC2 does: unknown ids fail the whole call, naming them all. */
function describeKnownOnly(known: Set<string>) {
  ec2.on(DescribeInstancesCommand).callsFake((input: {InstanceIds: string[]}) => {
    const unknown = input.InstanceIds.filter((instanceId) => !known.has(instanceId))
    if (unknown.length === 1) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${unknown[0]}' does not exist`)
    if (unknown.length > 1) throw ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`)
    return reservations(...input.InstanceIds.map((instanceId) => instance(instanceId)))
  })
}

describe('findInstances', () => {
  it('filters on the tag and on live states, 1,000 a page, and reads every page', async () => {
    ec2.on(DescribeInstancesCommand, {NextToken: undefined}).resolves({
      ...reservations(
        instance('i-0aaa00000000000a1', 'running', {
          Tags: [
            {Key: 'Environment', Value: 'dev'},
            {Key: 'fintech:tier', Value: 'redis'},
          ],
        }),
      ),
      NextToken: 'page-2',
    })
    ec2.on(DescribeInstancesCommand, {NextToken: 'page-2'}).resolves(
      reservations(
        instance('i-0aaa00000000000a2', 'stopped', {
          InstanceType: 'r7g.large',
          StateReason: {Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch'},
        }),
        instance('i-0aaa00000000000a3', 'pending', {StateReason: {Code: '', Message: ''}}),
      ),
    )
    const api = await createEc2Api(TARGET)

    const found = await api.findInstances({key: 'Environment', values: ['dev', 'development']})

    expect(found).toEqual([
      {id: 'i-0aaa00000000000a1', state: 'running', instanceType: 't4g.medium', tags: {Environment: 'dev', 'fintech:tier': 'redis'}},
      {
        id: 'i-0aaa00000000000a2',
        state: 'stopped',
        instanceType: 'r7g.large',
        tags: {Environment: 'dev'},
        stateReason: {code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch'},
      },
      {id: 'i-0aaa00000000000a3', state: 'pending', instanceType: 't4g.medium', tags: {Environment: 'dev'}},
    ])
    const calls = ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)
    expect(calls).toEqual([
      {
        Filters: [
          {Name: 'tag:Environment', Values: ['dev', 'development']},
          {Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped']},
        ],
        MaxResults: 1000,
        NextToken: undefined,
      },
      expect.objectContaining({NextToken: 'page-2', MaxResults: 1000}),
    ])
  })

  it('asks nothing when no tag value is wanted', async () => {
    const api = await createEc2Api(TARGET)
    expect(await api.findInstances({key: 'Environment', values: []})).toEqual([])
    expect(ec2.calls()).toHaveLength(0)
  })
})

describe('describeInstances', () => {
  it('asks for at most 1,000 ids a call', async () => {
    describeKnownOnly(new Set(ids(2500)))
    const api = await createEc2Api(TARGET)

    const described = await api.describeInstances(ids(2500))

    expect(described.map((entry) => entry.id)).toEqual(ids(2500))
    const batches = ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.InstanceIds!)
    expect(batches.map((batch) => batch.length)).toEqual([1000, 1000, 500])
    expect(batches.flat()).toEqual(ids(2500))
  })

  it('drops the ids EC2 names as unknown and asks again for the rest', async () => {
    const wanted = ids(5)
    describeKnownOnly(new Set([wanted[0]!, wanted[2]!, wanted[4]!]))
    const api = await createEc2Api(TARGET)

    const described = await api.describeInstances(wanted)

    expect(described.map((entry) => entry.id)).toEqual([wanted[0], wanted[2], wanted[4]])
    expect(ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input.InstanceIds)).toEqual([
      wanted,
      [wanted[0], wanted[2], wanted[4]],
    ])
  })

  it('keeps asking while EC2 names one unknown id at a time', async () => {
    const wanted = ids(4)
    ec2.on(DescribeInstancesCommand).callsFake((input: {InstanceIds: string[]}) => {
      const unknown = input.InstanceIds.find((instanceId) => instanceId !== wanted[3])
      if (unknown) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${unknown}' does not exist`)
      return reservations(instance(wanted[3]!))
    })
    const api = await createEc2Api(TARGET)

    expect((await api.describeInstances(wanted)).map((entry) => entry.id)).toEqual([wanted[3]])
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(4)
  })

  it('returns nothing, without failing, when no id is known', async () => {
    describeKnownOnly(new Set())
    const api = await createEc2Api(TARGET)
    expect(await api.describeInstances(ids(3))).toEqual([])
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1)
  })

  it('fails when the error names none of the ids it was asked about', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound', "The instance ID 'i-0fffffffffffffff0' does not exist"))
    const api = await createEc2Api(TARGET)
    await expect(api.describeInstances(ids(2))).rejects.toThrow("The instance ID 'i-0fffffffffffffff0' does not exist")
  })

  it('passes other errors through', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403))
    const api = await createEc2Api(TARGET)
    await expect(api.describeInstances(ids(2))).rejects.toThrow('You are not authorized')
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1)
  })
})

describe.each([
  ['stopInstances', StopInstancesCommand, 'stopped'],
  ['startInstances', StartInstancesCommand, 'started'],
] as const)('%s', (method, Command, verb) => {
  it('sends one call with every id', async () => {
    ec2.on(Command).resolves({})
    const api = await createEc2Api(TARGET)

    await api[method](ids(1500))

    expect(ec2.commandCalls(Command).map((call) => call.args[0].input)).toEqual([{InstanceIds: ids(1500)}])
  })

  it('sends nothing for no ids', async () => {
    const api = await createEc2Api(TARGET)
    await api[method]([])
    expect(ec2.calls()).toHaveLength(0)
  })

  it.each([
    {
      code: 'IncorrectInstanceState',
      message: `The instance '${id(2)}' is not in a state from which it can be ${verb}.`,
      named: [id(2)],
    },
    {code: 'InvalidInstanceID.NotFound', message: `The instance ID '${id(1)}' does not exist`, named: [id(1)]},
    {code: 'InvalidInstanceID.NotFound', message: `The instance IDs '${id(0)}, ${id(3)}' do not exist`, named: [id(0), id(3)]},
    {
      code: 'UnsupportedOperation',
      message: `The instance '${id(3)}' does not have an 'ebs' root device type and cannot be ${verb}.`,
      named: [id(3)],
    },
    {
      code: 'InsufficientInstanceCapacity',
      message: 'We currently do not have sufficient r7g.large capacity in the Availability Zone you requested (eu-west-1a).',
      named: [],
    },
    {
      code: 'InvalidParameterValue',
      message: `Instance ${id(1)} cannot be started: the KMS key arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab is disabled.`,
      named: [id(1)],
    },
    {code: 'InvalidInstanceID.Malformed', message: 'Invalid id: "i-nonsense"', named: ['i-nonsense']},
  ])('turns $code into an InstanceBatchError naming $named, without retrying', async ({code, message, named}) => {
    ec2.on(Command).rejects(ec2Error(code, message))
    const api = await createEc2Api(TARGET)
    const asked = [...ids(4), 'i-nonsense']

    const error = await api[method](asked).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(InstanceBatchError)
    expect(error).toMatchObject({code, message, instanceIds: named})
    expect(ec2.commandCalls(Command)).toHaveLength(1)
  })

  it('names only ids it was asked about, not look-alikes', async () => {
    ec2.on(Command).rejects(ec2Error('IncorrectInstanceState', `The instance '${id(1)}0' is not in a state from which it can be ${verb}.`))
    const api = await createEc2Api(TARGET)
    await expect(api[method]([id(1)])).rejects.toMatchObject({instanceIds: []})
  })

  it('leaves throttling left over after the retries and network failures as they are', async () => {
    const api = await createEc2Api(TARGET)
    ec2.on(Command).rejects(ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503))
    const throttled = await api[method](ids(2)).catch((caught: unknown) => caught)
    expect(throttled).not.toBeInstanceOf(InstanceBatchError)
    expect(throttled).toMatchObject({name: 'RequestLimitExceeded'})

    ec2.reset()
    ec2.on(Command).rejects(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))
    const dropped = await api[method](ids(2)).catch((caught: unknown) => caught)
    expect(dropped).not.toBeInstanceOf(InstanceBatchError)
    expect(dropped).toMatchObject({message: 'socket hang up'})
  })
})

describe('instanceHealth', () => {
  it('includes stopped instances, asks for at most 100 ids a call, reads every page and passes only ok/ok', async () => {
    const wanted = ids(250)
    const statuses = (answered: string[]) =>
      answered.map((instanceId) => {
        const n = Number.parseInt(instanceId.slice(2), 16)
        const state = {Name: n % 3 === 0 ? 'stopped' : 'running', Code: n % 3 === 0 ? 80 : 16} as const
        if (n % 3 === 0) return {InstanceId: instanceId, InstanceState: state, SystemStatus: {Status: 'not-applicable'}, InstanceStatus: {Status: 'not-applicable'}}
        return {InstanceId: instanceId, InstanceState: state, SystemStatus: {Status: 'ok'}, InstanceStatus: {Status: n % 3 === 1 ? 'ok' : 'initializing'}}
      })
    ec2.on(DescribeInstanceStatusCommand).callsFake((input: {InstanceIds: string[]; NextToken?: string}) => {
      // The first batch answers in two pages.
      if (input.InstanceIds[0] !== wanted[0]) return {InstanceStatuses: statuses(input.InstanceIds)}
      return input.NextToken === 'more'
        ? {InstanceStatuses: statuses(wanted.slice(50, 100))}
        : {InstanceStatuses: statuses(wanted.slice(0, 50)), NextToken: 'more'}
    })
    const api = await createEc2Api(TARGET)

    const health = await api.instanceHealth(wanted)

    expect(health.map((entry) => entry.id)).toEqual(wanted)
    expect(health.slice(0, 3)).toEqual([
      {id: id(0), state: 'stopped', ok: false},
      {id: id(1), state: 'running', ok: true},
      {id: id(2), state: 'running', ok: false},
    ])
    const calls = ec2.commandCalls(DescribeInstanceStatusCommand).map((call) => call.args[0].input)
    expect(calls.every((input) => input.IncludeAllInstances === true)).toBe(true)
    expect(calls.map((input) => [input.InstanceIds!.length, input.NextToken])).toEqual([
      [100, undefined],
      [100, undefined],
      [50, undefined],
      [100, 'more'],
    ])
  })

  it('leaves out ids EC2 no longer knows', async () => {
    const wanted = ids(3)
    ec2.on(DescribeInstanceStatusCommand).callsFake((input: {InstanceIds: string[]}) => {
      if (input.InstanceIds.includes(wanted[1]!)) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${wanted[1]}' does not exist`)
      return {
        InstanceStatuses: input.InstanceIds.map((instanceId) => ({
          InstanceId: instanceId,
          InstanceState: {Name: 'running', Code: 16},
          SystemStatus: {Status: 'ok'},
          InstanceStatus: {Status: 'ok'},
        })),
      }
    })
    const api = await createEc2Api(TARGET)
    expect(await api.instanceHealth(wanted)).toEqual([
      {id: wanted[0], state: 'running', ok: true},
      {id: wanted[2], state: 'running', ok: true},
    ])
  })
})
