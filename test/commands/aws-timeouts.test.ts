import {beforeAll, beforeEach, expect, it} from 'vitest'
import Status from '../../src/commands/status.js'
import {CONFIG, makeProject} from '../helpers/project.js'
import {useLoopbackAws} from '../helpers/loopback-aws.js'
import {runCli} from '../helpers/run-cli.js'

/**
 * An endpoint that answers STS and never answers CloudFormation, the way a proxy that lost the
 * response leaves a call: status must end, with the timeout from the config file, and say
 * which call timed out after how many attempts.
 */
const requests: string[] = []

const aws = useLoopbackAws((action, parameters) => {
  requests.push(`${action} ${parameters.get('StackName') ?? ''}`.trim())
  if (action === 'GetCallerIdentity') {
    return {body: '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/alice</Arn><Account>111111111111</Account></GetCallerIdentityResult></GetCallerIdentityResponse>'}
  }
  return 'hang'
})

/** One stack, so the attempts the endpoint sees are those of the call that failed. */
const NETWORK_ONLY = CONFIG.slice(0, CONFIG.indexOf('  - name: data'))

beforeAll(() => {
  process.env.AWS_ENDPOINT_URL = aws.endpoint()
})
beforeEach(() => {
  requests.length = 0
})

it('ends a status that gets no answer with the call, "timed out" and the attempts, and exit code 1', async () => {
  const config = makeProject({'fintech.config.yaml': `${NETWORK_ONLY}aws: {requestTimeoutMs: 100}\n`})
  const run = await runCli(Status, ['--env', 'dev', '--config', config, '--json'])

  expect(run.exitCode).toBe(1)
  expect(run.json.error).toMatchObject({name: 'TimeoutError', $metadata: {attempts: 8}})
  // The config's 100 ms, whichever of the request and socket timeouts fired first.
  expect(run.json.error.message).toMatch(/^CloudFormation DescribeStacks failed \(timed out, 8 attempts\): .*\b100 ms\b/)
  // STS answers at once; on a loaded machine its answer can still miss the 100 ms and be asked again.
  expect(requests[0]).toBe('GetCallerIdentity')
  expect(requests.filter((request) => request !== 'GetCallerIdentity')).toEqual(Array(8).fill('DescribeStacks fintech-dev-network'))
})

it('waits as long as FINTECH_AWS_REQUEST_TIMEOUT_MS says, over the config file', async () => {
  // One stack: with more, the other stacks' calls could still be retrying when the first one
  // fails and the command ends, and reach the endpoint during the next test.
  const config = makeProject({'fintech.config.yaml': `${NETWORK_ONLY}aws: {requestTimeoutMs: 60000}\n`})
  process.env.FINTECH_AWS_REQUEST_TIMEOUT_MS = '150'
  try {
    const run = await runCli(Status, ['--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(1)
    expect(run.json.error.message).toMatch(/^CloudFormation DescribeStacks failed \(timed out, 8 attempts\): .*\b150 ms\b/)
  } finally {
    delete process.env.FINTECH_AWS_REQUEST_TIMEOUT_MS
  }
})

it('refuses a timeout in the config below 100 ms, naming the file, line and key, before calling AWS', async () => {
  const config = makeProject({'fintech.config.yaml': `${CONFIG}aws: {requestTimeoutMs: 5}\n`})
  const run = await runCli(Status, ['--env', 'dev', '--config', config, '--json'])

  expect(run.exitCode).toBe(2)
  expect(run.json.error.message).toMatch(/fintech\.config\.yaml:\d+: aws\.requestTimeoutMs: /)
  expect(requests).toEqual([])
})
