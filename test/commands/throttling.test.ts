import {createServer, type Server} from 'node:http'
import {AddressInfo} from 'node:net'
import {afterAll, beforeAll, expect, it} from 'vitest'
import Status from '../../src/commands/status.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

/**
 * A loopback endpoint standing in for AWS (through AWS_ENDPOINT_URL) that throttles the first
 * DescribeStacks calls. aws-sdk-client-mock replaces the SDK's send(), and with it the retry
 * middleware, so only a real HTTP exchange shows that throttled calls are retried.
 */
const requests: string[] = []
let server: Server
let throttleLeft = 2

const xml = (action: string, result: string) =>
  `<${action}Response xmlns="http://example.com/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const parameters = new URLSearchParams(body)
      const action = parameters.get('Action') ?? ''
      requests.push(`${action} ${parameters.get('StackName') ?? ''}`.trim())
      response.setHeader('content-type', 'text/xml')
      if (action === 'GetCallerIdentity') {
        response.end(xml(action, '<Arn>arn:aws:iam::111111111111:user/alice</Arn><UserId>AID</UserId><Account>111111111111</Account>'))
      } else if (action === 'DescribeStacks' && throttleLeft > 0) {
        throttleLeft--
        response.statusCode = 400
        response.end('<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>')
      } else if (action === 'DescribeStacks') {
        const name = parameters.get('StackName')
        response.end(
          xml(
            action,
            `<Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/1</StackId>` +
              '<StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime></member></Stacks>',
          ),
        )
      } else {
        response.statusCode = 400
        response.end(`<ErrorResponse><Error><Code>InvalidAction</Code><Message>${action}</Message></Error></ErrorResponse>`)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  process.env.AWS_ACCESS_KEY_ID = 'testing'
  process.env.AWS_SECRET_ACCESS_KEY = 'testing'
})

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL
  delete process.env.AWS_ACCESS_KEY_ID
  delete process.env.AWS_SECRET_ACCESS_KEY
  await new Promise((resolve) => server.close(resolve))
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
