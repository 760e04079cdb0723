/**
 * The fault proxy itself, in front of a real moto_server: requests are told apart by protocol
 * and operation, each fault reaches the SDK the way AWS's own would, a dropped answer still
 * changes the emulator, and the seeded rate replays.
 */
import {CloudFormationClient, CreateStackCommand, DescribeStacksCommand, ListStacksCommand} from '@aws-sdk/client-cloudformation'
import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'
import {DescribeVpcsCommand, EC2Client} from '@aws-sdk/client-ec2'
import {ListBucketsCommand, S3Client} from '@aws-sdk/client-s3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {REGION, describeStack, useMoto} from '../integration/moto.js'
import {startFaultProxy, type FaultProxy, type FaultRule} from './fault-proxy.js'

const ctx = useMoto()
let proxy: FaultProxy
beforeEach(async () => {
  proxy = await startFaultProxy({target: ctx.moto.endpoint, seed: 7})
})
afterEach(async () => {
  await proxy.close()
})

/** SDK clients through the proxy; one attempt unless told otherwise, so each fault is seen as it is. */
const settings = (maxAttempts = 1) => ({endpoint: proxy.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts})
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('the call succeeded'),
    (error: Error & {$metadata?: {httpStatusCode?: number}}) => ({name: error.name, status: error.$metadata?.httpStatusCode}),
  )

const TEMPLATE = JSON.stringify({Resources: {Topic: {Type: 'AWS::SNS::Topic'}}})

describe('fault proxy', {timeout: 60_000}, () => {
  it('passes requests through and logs each with its service, operation and protocol', async () => {
    const cfn = new CloudFormationClient(settings())
    const dynamodb = new DynamoDBClient(settings())
    const s3 = new S3Client({...settings(), forcePathStyle: true})
    const ec2 = new EC2Client(settings())
    await cfn.send(new ListStacksCommand({}))
    await dynamodb.send(new ListTablesCommand({}))
    await s3.send(new ListBucketsCommand({}))
    await ec2.send(new DescribeVpcsCommand({}))

    expect(proxy.log.map(({seq, service, operation, protocol, effect, state, status}) => ({seq, service, operation, protocol, effect, state, status}))).toEqual([
      {seq: 1, service: 'cloudformation', operation: 'ListStacks', protocol: 'query', effect: 'pass', state: 'answered', status: 200},
      {seq: 2, service: 'dynamodb', operation: 'ListTables', protocol: 'json', effect: 'pass', state: 'answered', status: 200},
      {seq: 3, service: 's3', operation: 'GET /', protocol: 'rest-xml', effect: 'pass', state: 'answered', status: 200},
      {seq: 4, service: 'ec2', operation: 'DescribeVpcs', protocol: 'ec2', effect: 'pass', state: 'answered', status: 200},
    ])
  })

  it('throttles in each protocol\'s own shape, which the SDK reads as throttling and retries', async () => {
    proxy.setRules([{match: () => true, effect: 'throttle'}])
    expect(await failure(new CloudFormationClient(settings()).send(new ListStacksCommand({})))).toEqual({name: 'Throttling', status: 400})
    expect(await failure(new DynamoDBClient(settings()).send(new ListTablesCommand({})))).toEqual({name: 'ThrottlingException', status: 400})
    expect(await failure(new S3Client({...settings(), forcePathStyle: true}).send(new ListBucketsCommand({})))).toEqual({name: 'SlowDown', status: 503})
    expect(await failure(new EC2Client(settings()).send(new DescribeVpcsCommand({})))).toEqual({name: 'RequestLimitExceeded', status: 503})

    // Throttled once, then through: the SDK's retry succeeds on its second attempt.
    proxy.setRules([{match: 'ListStacks', effect: 'throttle', times: 1}])
    const before = proxy.log.length
    const answer = await new CloudFormationClient(settings(3)).send(new ListStacksCommand({}))
    expect(answer.$metadata.attempts).toBe(2)
    expect(proxy.log.slice(before).map((entry) => [entry.operation, entry.attempt, entry.effect, entry.status])).toEqual([
      ['ListStacks', 1, 'throttle', 400],
      ['ListStacks', 2, 'pass', 200],
    ])
  })

  it('answers 500 and an HTML 502 page without reaching the emulator', async () => {
    const cfn = new CloudFormationClient(settings())
    proxy.setRules([{match: 'CreateStack', effect: 'error-500', times: 1}, {match: 'CreateStack', effect: 'html-502'}])
    expect(await failure(cfn.send(new CreateStackCommand({StackName: 'first', TemplateBody: TEMPLATE})))).toMatchObject({name: 'InternalFailure', status: 500})
    expect((await failure(cfn.send(new CreateStackCommand({StackName: 'second', TemplateBody: TEMPLATE})))).status).toBe(502)

    expect(await describeStack(ctx.moto, 'first')).toBeUndefined()
    expect(await describeStack(ctx.moto, 'second')).toBeUndefined()
    expect(proxy.log.map((entry) => [entry.effect, entry.state, entry.status])).toEqual([
      ['error-500', 'answered', 500],
      ['html-502', 'answered', 502],
    ])
  })

  it('drops the answer of a request the emulator carried out: the client sees the connection end, the change is made', async () => {
    proxy.setRules([{match: 'CreateStack', effect: 'drop'}])
    const error = await new CloudFormationClient(settings()).send(new CreateStackCommand({StackName: 'dropped', TemplateBody: TEMPLATE})).catch((caught: Error) => caught)

    expect(error).toBeInstanceOf(Error)
    expect((error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode).toBeUndefined()
    expect((await describeStack(ctx.moto, 'dropped'))?.StackStatus).toBe('CREATE_COMPLETE')
    expect(proxy.log.map((entry) => [entry.operation, entry.effect, entry.state, entry.status])).toEqual([['CreateStack', 'drop', 'dropped', 200]])
  })

  it('holds a delayed answer after the emulator gave it, and reports each state to waitFor', async () => {
    proxy.setRules([{match: 'DescribeStacks', effect: 'delay', delayMs: 60_000}])
    const cfn = new CloudFormationClient(settings())
    await cfn.send(new CreateStackCommand({StackName: 'held', TemplateBody: TEMPLATE}))
    const held = cfn.send(new DescribeStacksCommand({StackName: 'held'}))
    held.catch(() => undefined)

    const forwarded = await proxy.waitFor((entry) => entry.operation === 'DescribeStacks' && entry.state === 'forwarded')
    expect(forwarded).toMatchObject({effect: 'delay', status: 200})
    // While the answer is held, other requests go through.
    await cfn.send(new ListStacksCommand({}))
    expect(proxy.log.map((entry) => [entry.operation, entry.state])).toEqual([
      ['CreateStack', 'answered'],
      ['DescribeStacks', 'forwarded'],
      ['ListStacks', 'answered'],
    ])
    cfn.destroy()
  })

  it('affects a seeded share of the matching requests, the same ones for the same seed', async () => {
    const rules: FaultRule[] = [{match: 'ListStacks', effect: 'throttle', rate: 0.3}]
    const pattern = async (seed: number) => {
      const own = await startFaultProxy({target: ctx.moto.endpoint, seed, rules})
      const cfn = new CloudFormationClient({...settings(), endpoint: own.endpoint})
      for (let i = 0; i < 40; i++) await cfn.send(new ListStacksCommand({})).catch(() => undefined)
      await own.close()
      return own.log.map((entry) => entry.effect)
    }
    const first = await pattern(42)
    expect(await pattern(42)).toEqual(first)
    const throttled = first.filter((effect) => effect === 'throttle').length
    expect(throttled).toBeGreaterThan(0)
    expect(throttled).toBeLessThan(40)
    expect(await pattern(43)).not.toEqual(first)
  })
})
