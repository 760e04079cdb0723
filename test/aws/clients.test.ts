import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {clientSettings, resolveTimeouts} from '../../src/aws/clients.js'
import {InputError} from '../../src/core/errors.js'

afterEach(() => {
  delete process.env.AWS_ENDPOINT_URL
  delete process.env.FINTECH_AWS_CONNECT_TIMEOUT_MS
  delete process.env.FINTECH_AWS_REQUEST_TIMEOUT_MS
})

it('uses adaptive retries, the fintech user agent, the profile and region it is given, and timeouts that throw', () => {
  expect(clientSettings({region: 'eu-west-1', profile: 'fintech-dev'})).toEqual({
    region: 'eu-west-1',
    profile: 'fintech-dev',
    retryMode: 'adaptive',
    maxAttempts: 8,
    customUserAgent: 'fintech/0.1.0',
    requestHandler: {connectionTimeout: 3_000, requestTimeout: 15_000, throwOnRequestTimeout: true, socketTimeout: 15_000},
  })
})

it('sends every client to AWS_ENDPOINT_URL when it is set', () => {
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566'
  expect(clientSettings({region: 'us-east-1'})).toMatchObject({endpoint: 'http://127.0.0.1:4566', region: 'us-east-1'})
})

it('takes the timeouts from the env vars, then the config, then the defaults, each on its own', () => {
  expect(resolveTimeouts({region: 'eu-west-1', timeouts: {requestTimeoutMs: 40_000}}, {})).toEqual({connectTimeoutMs: 3_000, requestTimeoutMs: 40_000})
  expect(resolveTimeouts({region: 'eu-west-1', timeouts: {connectTimeoutMs: 1_000, requestTimeoutMs: 40_000}}, {FINTECH_AWS_REQUEST_TIMEOUT_MS: '90000'})).toEqual({
    connectTimeoutMs: 1_000,
    requestTimeoutMs: 90_000,
  })
  expect(resolveTimeouts({region: 'eu-west-1'}, {FINTECH_AWS_CONNECT_TIMEOUT_MS: ' 500 ', FINTECH_AWS_REQUEST_TIMEOUT_MS: ''})).toEqual({connectTimeoutMs: 500, requestTimeoutMs: 15_000})

  process.env.FINTECH_AWS_CONNECT_TIMEOUT_MS = '2000'
  expect(clientSettings({region: 'eu-west-1', timeouts: {connectTimeoutMs: 9_000}}).requestHandler).toMatchObject({connectionTimeout: 2_000})
})

it('refuses a timeout variable that is not a whole number of milliseconds from 100 up, naming it', () => {
  for (const raw of ['abc', '2.5', '99', '-1', '30s']) {
    const read = () => resolveTimeouts({region: 'eu-west-1'}, {FINTECH_AWS_REQUEST_TIMEOUT_MS: raw})
    expect(read).toThrow(InputError)
    expect(read).toThrow(`FINTECH_AWS_REQUEST_TIMEOUT_MS=${raw}: give a whole number of milliseconds, at least 100`)
  }
})

describe("the SDK's warning about an unsupported Node", () => {
  const root = fileURLToPath(new URL('../..', import.meta.url))
  // A client built from the CLI's settings, in a fresh process: the SDK warns at most once per process.
  const makeClient = [
    "import {STSClient} from '@aws-sdk/client-sts'",
    `import {clientSettings} from ${JSON.stringify(pathToFileURL(join(root, 'src/aws/clients.ts')).href)}`,
    "new STSClient(clientSettings({region: 'eu-west-1'}))",
  ].join('\n')
  // Without the variables that would hide warnings from whoever runs the tests.
  const env = {...process.env}
  for (const name of ['NODE_NO_WARNINGS', 'NODE_OPTIONS', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) delete env[name]

  function stderrOfClient(preloads: string[] = []) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', ...preloads.flatMap((preload) => ['--import', preload]), '--input-type=module', '-e', makeClient], {cwd: root, env, encoding: 'utf8'})
    expect(result.status, result.stderr).toBe(0)
    return result.stderr
  }

  it('reaches a user on Node 20: the CLI does not silence it', () => {
    const onNode20 = `data:text/javascript,Object.defineProperty(process, 'version', {value: 'v20.11.0'})`
    const stderr = stderrOfClient([onNode20])
    expect(stderr).toContain('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)')
    expect(stderr).toContain('will require node >=22. You are running node v20.11.0.')
  })

  it('does not appear on the Node the project runs on', () => {
    expect(stderrOfClient()).toBe('')
  })
})
