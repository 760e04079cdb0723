import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'
import {createRunbookAws} from '../../src/aws/api-call.js'
import {createClient, MAX_ATTEMPTS} from '../../src/aws/clients.js'
import {createStackApi} from '../../src/aws/cloudformation.js'
import {createServiceReader} from '../../src/aws/ecs.js'
import {sendCommandOnce} from '../../src/aws/ssm.js'
import {createTaggingApi} from '../../src/aws/tagging.js'
import {useLoopbackAws, type LoopbackAnswer, type LoopbackRequest} from '../helpers/loopback-aws.js'

/**
 * The client factory's transport against a real HTTP endpoint on loopback: timeouts, retries
 * and the naming of failures happen in the SDK's middleware, which aws-sdk-client-mock skips.
 */
const requests: LoopbackRequest[] = []
let reply: (request: LoopbackRequest) => LoopbackAnswer = () => 'hang'

const aws = useLoopbackAws((_action, _parameters, request) => {
  requests.push(request)
  return reply(request)
})

beforeAll(() => {
  process.env.AWS_ENDPOINT_URL = aws.endpoint()
})
beforeEach(() => {
  requests.length = 0
})

/** A short request timeout, so a lost answer costs this test 100 ms an attempt instead of 15 s. */
const TARGET = {region: 'eu-west-1', timeouts: {requestTimeoutMs: 100}}
const HTML_502 = {status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>'}
const queryError = (code: string, message: string, status = 400) => ({
  status,
  body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
})
const actions = () => requests.map((request) => request.action)
const failureOf = (promise: Promise<unknown>) => promise.then(() => expect.fail('the call succeeded'), (error: unknown) => error as Error & Record<string, unknown>)

describe('timeouts', () => {
  it('gives up on an attempt nobody answers, tries again like a throttled call, and says it timed out after every attempt', async () => {
    reply = () => 'hang'
    const failure = await failureOf((await createStackApi(TARGET)).describeStack('fintech-dev-network'))

    expect(actions()).toEqual(Array(MAX_ATTEMPTS).fill('DescribeStacks'))
    expect(MAX_ATTEMPTS).toBe(8)
    expect(failure.name).toBe('TimeoutError')
    expect(failure.message).toMatch(/^CloudFormation DescribeStacks failed \(timed out, 8 attempts\): /)
    expect(failure.$metadata).toMatchObject({attempts: 8})
  })

  it('answers once the endpoint does: a lost answer costs one attempt', async () => {
    reply = () =>
      requests.length === 1
        ? 'hang'
        : {body: '<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111111111111</Account><Arn>arn:aws:iam::111111111111:user/a</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>'}
    const client = createClient(STSClient, TARGET)

    const identity = await client.send(new GetCallerIdentityCommand({}))

    expect(identity).toMatchObject({Account: '111111111111', $metadata: {attempts: 2}})
    expect(actions()).toEqual(['GetCallerIdentity', 'GetCallerIdentity'])
  })

  it('says a connection dropped without an answer as such, after every attempt', async () => {
    reply = () => 'drop'
    const failure = await failureOf((await createStackApi(TARGET)).describeStack('fintech-dev-network'))

    expect(actions()).toHaveLength(8)
    expect(failure.message).toMatch(/^CloudFormation DescribeStacks failed \(connection reset, 8 attempts\): socket hang up$/)
  })
})

describe('failures name the service, the operation, the HTTP status and the attempts', () => {
  it('says an HTML error page (query protocol) is unparseable instead of "Unknown", after retrying it as a server fault', async () => {
    reply = () => HTML_502
    const failure = await failureOf((await createStackApi(TARGET)).describeStack('fintech-dev-network'))

    expect(actions()).toHaveLength(8)
    expect(failure).toMatchObject({
      name: 'UnparseableResponse',
      message: 'CloudFormation DescribeStacks failed (HTTP 502, 8 attempts): unparseable response (text/html)',
      $fault: 'server',
      $metadata: {httpStatusCode: 502, attempts: 8},
    })
  })

  it('says an HTML error page (JSON protocol) is unparseable instead of SyntaxError: Unexpected token', async () => {
    reply = () => HTML_502
    const api = await createTaggingApi(TARGET, async () => undefined)
    const failure = await failureOf((async () => {
      for await (const _page of api.source.pages());
    })())

    expect(actions()).toEqual(Array(8).fill('GetResources'))
    expect(failure).toMatchObject({
      name: 'UnparseableResponse',
      message: 'ResourceGroupsTaggingAPI GetResources failed (HTTP 502, 8 attempts): unparseable response (text/html)',
      $metadata: {httpStatusCode: 502},
    })
  })

  it('keeps the name, fault and message of a JSON server error it retried', async () => {
    reply = () => ({status: 500, contentType: 'application/x-amz-json-1.1', body: JSON.stringify({__type: 'ServerException', message: 'Service unavailable'})})
    const failure = await failureOf((await createServiceReader(TARGET)).describeService('ledger', 'api'))

    expect(actions()).toEqual(Array(8).fill('DescribeServices'))
    expect(failure).toMatchObject({
      name: 'ServerException',
      message: 'ECS DescribeServices failed (HTTP 500, 8 attempts): Service unavailable',
      $fault: 'server',
      $metadata: {httpStatusCode: 500, attempts: 8},
    })
  })

  it('says how many attempts throttling took before the SDK gave up', async () => {
    reply = () => queryError('Throttling', 'Rate exceeded')
    // Throttled attempts back off by a second and more: two attempts show the message without the 8 of the CLI's clients.
    const client = createClient(CloudFormationClient, TARGET, {maxAttempts: 2})
    const failure = await failureOf(client.send(new DescribeStacksCommand({StackName: 'fintech-dev-network'})))

    expect(actions()).toHaveLength(2)
    expect(failure).toMatchObject({name: 'Throttling', message: 'CloudFormation DescribeStacks failed (HTTP 400, 2 attempts): Rate exceeded', Code: 'Throttling'})
  })

  it('keeps AWS message inside, so callers that match on it still work: a missing stack is still missing', async () => {
    reply = () => queryError('ValidationError', 'Stack with id fintech-dev-network does not exist')
    const api = await createStackApi(TARGET)

    expect(await api.describeStack('fintech-dev-network')).toBeUndefined()
    const failure = await failureOf(api.getTemplateBody('fintech-dev-network'))
    expect(failure).toMatchObject({name: 'ValidationError', message: 'CloudFormation GetTemplate failed (HTTP 400, 1 attempt): Stack with id fintech-dev-network does not exist'})
  })

  it('names the failures of runbook API steps the same way', async () => {
    reply = () => queryError('AccessDenied', 'User is not authorized to perform cloudformation:DescribeStacks', 403)
    const failure = await failureOf(createRunbookAws(TARGET).call('cloudformation', 'DescribeStacks', {StackName: 'x'}, new AbortController().signal))

    expect(failure).toMatchObject({name: 'AccessDenied', message: 'CloudFormation DescribeStacks failed (HTTP 403, 1 attempt): User is not authorized to perform cloudformation:DescribeStacks'})
  })

  it('leaves an aborted call (Ctrl-C) as the abort it is', async () => {
    reply = () => 'hang'
    const controller = new AbortController()
    const call = createRunbookAws({region: 'eu-west-1'}).call('cloudformation', 'DescribeStacks', {StackName: 'x'}, controller.signal)
    await vi.waitFor(() => expect(requests).toHaveLength(1))
    controller.abort()

    expect(await failureOf(call)).toMatchObject({name: 'AbortError', message: 'Request aborted'})
  })
})

describe('re-sends of a call whose answer was lost', () => {
  const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/fintech-dev-network/1'
  const CHANGE_SET = 'arn:aws:cloudformation:eu-west-1:111111111111:changeSet/fintech-20261122100000/1'
  const CREATE = {
    stackName: 'fintech-dev-network',
    changeSetName: 'fintech-20261122100000',
    changeSetType: 'UPDATE' as const,
    templateBody: 'Resources: {}',
    parameters: {},
    tags: {},
    description: 'fintech deploy dev',
  }
  const created = {body: `<CreateChangeSetResponse><CreateChangeSetResult><Id>${CHANGE_SET}</Id><StackId>${STACK_ID}</StackId></CreateChangeSetResult></CreateChangeSetResponse>`}

  it('carries the same ClientToken when the SDK sends CreateChangeSet again after the connection dropped', async () => {
    reply = () => (requests.length === 1 ? 'drop' : created)
    const api = await createStackApi(TARGET)

    expect(await api.createChangeSet(CREATE)).toEqual({id: CHANGE_SET})
    const tokens = requests.map((request) => request.parameters.get('ClientToken'))
    expect(actions()).toEqual(['CreateChangeSet', 'CreateChangeSet'])
    expect(tokens[0]).toMatch(/^fintech-[0-9a-f-]{36}$/)
    expect(tokens[1]).toBe(tokens[0])
  })

  it('carries the same ClientRequestToken when the SDK sends ExecuteChangeSet again after no answer came', async () => {
    reply = () => (requests.length === 1 ? 'hang' : {body: '<ExecuteChangeSetResponse><ExecuteChangeSetResult/></ExecuteChangeSetResponse>'})
    const api = await createStackApi(TARGET)

    await api.executeChangeSet(CHANGE_SET)
    const [first, second] = requests.map((request) => request.parameters.get('ClientRequestToken'))
    expect(first).toMatch(/^fintech-[0-9a-f-]{36}$/)
    expect(second).toBe(first)
  })

  it('goes on with the change set its first attempt made when an endpoint that ignores the token (moto) refuses the re-send as existing', async () => {
    reply = (request) => {
      if (request.action === 'DescribeChangeSet') return {body: `<DescribeChangeSetResponse><DescribeChangeSetResult><ChangeSetId>${CHANGE_SET}</ChangeSetId><Status>CREATE_COMPLETE</Status></DescribeChangeSetResult></DescribeChangeSetResponse>`}
      return requests.length === 1 ? 'drop' : queryError('AlreadyExistsException', 'ChangeSet fintech-20261122100000 already exists')
    }
    const api = await createStackApi(TARGET)

    expect(await api.createChangeSet(CREATE)).toEqual({id: CHANGE_SET})
    expect(actions()).toEqual(['CreateChangeSet', 'CreateChangeSet', 'DescribeChangeSet'])
  })
})

describe('SSM SendCommand, which takes no token', () => {
  const json = (body: unknown, status = 200) => ({status, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(body)})
  const FAILOVER = {DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-1'], Parameters: {commands: ['redis-cli -p 26379 sentinel failover fintech-dev']}, Comment: 'fintech redis failover'}
  const noPause = async () => undefined
  const sentComment = () => (JSON.parse(requests.find((request) => request.action === 'SendCommand')!.body) as {Comment: string}).Comment

  it('is never sent again by the SDK when its answer is lost: SSM is asked for it, and it was there', async () => {
    reply = (request) => (request.action === 'SendCommand' ? 'hang' : json({Commands: [{CommandId: 'cmd-lost', Comment: sentComment()}]}))

    expect(await sendCommandOnce(TARGET, FAILOVER, noPause)).toBe('cmd-lost')
    expect(actions()).toEqual(['SendCommand', 'ListCommands'])
  })

  it('counts every send it made itself in the message of its last failure', async () => {
    reply = (request) => (request.action === 'SendCommand' ? json({__type: 'InternalServerError', Message: 'internal error'}, 500) : json({Commands: []}))
    const failure = await failureOf(sendCommandOnce(TARGET, FAILOVER, noPause))

    expect(actions().filter((action) => action === 'SendCommand')).toHaveLength(8)
    expect(failure).toMatchObject({name: 'InternalServerError', message: 'SSM SendCommand failed (HTTP 500, 8 attempts): internal error', $metadata: {attempts: 8}})
  })
})
