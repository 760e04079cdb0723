import {beforeAll, expect, it} from 'vitest'
import Status from '../../src/commands/status.js'
import {makeProject} from '../helpers/project.js'
import {useLoopbackAws} from '../helpers/loopback-aws.js'
import {runCli} from '../helpers/run-cli.js'

/**
 * A loopback endpoint standing in for AWS (through AWS_ENDPOINT_URL) that throttles the first
 * DescribeStacks calls. aws-sdk-client-mock replaces the SDK's send(), and with it the retry
 * middleware, so only a real HTTP exchange shows that throttled calls are retried.
 */
const requests: string[] = []
let throttleLeft = 2

const xml = (action: string, result: string) =>
  `<${action}Response xmlns="http://example.com/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`

const aws = useLoopbackAws((action, parameters) => {
  requests.push(`${action} ${parameters.get('StackName') ?? ''}`.trim())
  if (action === 'GetCallerIdentity') {
    return {body: xml(action, '<Arn>arn:aws:iam::111111111111:user/alice</Arn><UserId>AID</UserId><Account>111111111111</Account>')}
  }
  if (action === 'DescribeStacks' && throttleLeft > 0) {
    throttleLeft--
    return {status: 400, body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>'}
  }
  if (action === 'DescribeStacks') {
    const name = parameters.get('StackName')
    return {
      body: xml(
        action,
        `<Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/1</StackId>` +
          '<StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime></member></Stacks>',
      ),
    }
  }
  return {status: 400, body: `<ErrorResponse><Error><Code>InvalidAction</Code><Message>${action}</Message></Error></ErrorResponse>`}
})

beforeAll(() => {
  process.env.AWS_ENDPOINT_URL = aws.endpoint()
})

it('retries throttled calls through AWS_ENDPOINT_URL and still reports every stack', async () => {
  const run = await runCli(Status, ['--env', 'dev', '--config', makeProject(), '--json'])

  expect(run.exitCode).toBe(0)
  const describes = requests.filter((request) => request.startsWith('DescribeStacks'))
  // Two stacks, two throttled attempts retried: four DescribeStacks requests reached the endpoint.
  expect(describes).toHaveLength(4)
  expect(new Set(describes)).toEqual(new Set(['DescribeStacks fintech-dev-network', 'DescribeStacks fintech-dev-data']))
  expect(run.json.envs[0].stages.map((stage: {stacks: Array<{status: string}>}) => stage.stacks[0]!.status)).toEqual(['CREATE_COMPLETE', 'CREATE_COMPLETE'])
})
