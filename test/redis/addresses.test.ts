/**
 * How `fintech redis --env` reaches the tier an on-call engineer cannot route to: the password
 * from Secrets Manager (no REDISCLI_AUTH), and --via-ssm port forwarding through a stand-in for
 * `aws ssm start-session` that forwards like the Session Manager plugin does. Real Redis and
 * Sentinel behind it; AWS mocked.
 */
import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {GetSecretValueCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'
import {mockClient} from 'aws-sdk-client-mock'
import {chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import RedisStatusCommand from '../../src/commands/redis/status.js'
import {loadConfig} from '../../src/core/config/load.js'
import {redisMasterStack} from '../../src/core/redis/api.js'
import {cfn, resetAws, stack} from '../helpers/aws-mocks.js'
import {startRedisHarness, type RedisHarness} from '../helpers/redis-harness.js'
import {runCli} from '../helpers/run-cli.js'

const secrets = mockClient(SecretsManagerClient)
const dataStack = redisMasterStack(loadConfig('fintech.config.yaml').config, 'dev')!
const IDS = ['i-0node1', 'i-0node2', 'i-0node3']
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:redis-auth'
/** The nodes' private addresses in the stack outputs: loopback addresses nothing listens on. */
const privateHost = (index: number) => `127.0.0.${11 + index}`

/** `aws ssm start-session … AWS-StartPortForwardingSessionToRemoteHost`: listens on the local port and forwards to the same port on 127.0.0.1. */
const FAKE_AWS = `#!/usr/bin/env node
const net = require('node:net')
const fs = require('node:fs')
const args = process.argv.slice(2)
fs.appendFileSync(process.env.FAKE_AWS_LOG, JSON.stringify(args) + '\\n')
const parameters = JSON.parse(args[args.indexOf('--parameters') + 1])
const remotePort = Number(parameters.portNumber[0])
net.createServer((client) => {
  const remote = net.connect(remotePort, '127.0.0.1')
  client.pipe(remote).pipe(client)
  client.on('error', () => remote.destroy())
  remote.on('error', () => client.destroy())
}).listen(Number(parameters.localPortNumber[0]), '127.0.0.1', () => console.log('Waiting for connections...'))
`

describe('fintech redis --env: password from Secrets Manager, --via-ssm forwarding', () => {
  let harness: RedisHarness
  let bin: string
  let log: string
  const path = process.env.PATH

  beforeAll(async () => {
    harness = await startRedisHarness()
    bin = mkdtempSync(join(tmpdir(), 'fintech-fake-aws-'))
    writeFileSync(join(bin, 'aws'), FAKE_AWS)
    writeFileSync(join(bin, 'session-manager-plugin'), '#!/bin/sh\nexit 0\n')
    chmodSync(join(bin, 'aws'), 0o755)
    chmodSync(join(bin, 'session-manager-plugin'), 0o755)
  })
  afterAll(async () => {
    await harness?.stop()
  })
  beforeEach(() => {
    resetAws()
    secrets.reset()
    delete process.env.REDISCLI_AUTH
    log = join(mkdtempSync(join(tmpdir(), 'fintech-fake-aws-log-')), 'calls.jsonl')
    process.env.FAKE_AWS_LOG = log
  })
  afterEach(() => {
    process.env.PATH = path
  })

  function outputs(hosts: (index: number) => string) {
    cfn.on(DescribeStacksCommand).resolves(
      stack(dataStack, 'UPDATE_COMPLETE', {
        Outputs: [
          {OutputKey: 'RedisMasterName', OutputValue: harness.masterName},
          {OutputKey: 'RedisSentinelAddresses', OutputValue: harness.sentinelAddresses.map((address, index) => `${hosts(index)}:${address.split(':')[1]}`).join(',')},
          {OutputKey: 'RedisNodeAddresses', OutputValue: harness.nodes.map((node, index) => `${hosts(index)}:${node.port}`).join(',')},
          {OutputKey: 'RedisInstanceIds', OutputValue: IDS.join(',')},
          {OutputKey: 'RedisAuthSecretArn', OutputValue: SECRET},
        ],
      }),
    )
  }

  it('reads the password from the data stack\'s secret when REDISCLI_AUTH is not set', async () => {
    outputs(() => '127.0.0.1')
    secrets.on(GetSecretValueCommand).resolves({SecretString: harness.password})
    const run = await runCli(RedisStatusCommand, ['--env', 'dev', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.json.healthy).toBe(true)
    expect(secrets.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{SecretId: SECRET}])
  })

  it('fails plainly when the secret holds another password', async () => {
    outputs(() => '127.0.0.1')
    secrets.on(GetSecretValueCommand).resolves({SecretString: 'not-the-password'})
    const run = await runCli(RedisStatusCommand, ['--env', 'dev', '--json'])
    expect(run.exitCode).toBe(1)
    expect(run.json.healthy).toBe(false)
    expect(run.json.problems.join(" ")).toMatch(/does not answer: .*(WRONGPASS|invalid username-password)/)
  })

  it('--via-ssm opens one session per node and Sentinel through each node\'s instance and reaches the private addresses through them', async () => {
    outputs(privateHost)
    secrets.on(GetSecretValueCommand).resolves({SecretString: harness.password})
    process.env.PATH = `${bin}${delimiter}${path}`
    const run = await runCli(RedisStatusCommand, ['--env', 'dev', '--via-ssm', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.json.sentinels.map((sentinel: any) => sentinel.address)).toEqual(harness.sentinelAddresses.map((address, index) => `${privateHost(index)}:${address.split(':')[1]}`))
    expect(run.json.sentinels.every((sentinel: any) => sentinel.reachable)).toBe(true)
    const sessions = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line))
    expect(sessions).toHaveLength(6)
    for (const [index, id] of IDS.entries()) {
      const through = sessions.filter((args) => args[args.indexOf('--target') + 1] === id).map((args) => JSON.parse(args[args.indexOf('--parameters') + 1]))
      expect(through.map((parameters) => `${parameters.host[0]}:${parameters.portNumber[0]}`).sort()).toEqual([`${privateHost(index)}:${harness.nodes[index]!.port}`, `${privateHost(index)}:${harness.sentinelAddresses[index]!.split(':')[1]}`].sort())
    }
    expect(sessions.every((args) => args.slice(0, 2).join(' ') === 'ssm start-session' && args.includes('AWS-StartPortForwardingSessionToRemoteHost') && args[args.indexOf('--region') + 1] === 'eu-west-1')).toBe(true)
  })

  it('without --via-ssm the private addresses are not reached, and the status says so', async () => {
    outputs(privateHost)
    secrets.on(GetSecretValueCommand).resolves({SecretString: harness.password})
    const run = await runCli(RedisStatusCommand, ['--env', 'dev', '--json'])
    expect(run.exitCode).toBe(1)
    expect(run.json.sentinels.some((sentinel: any) => sentinel.reachable)).toBe(false)
    expect(existsSync(log)).toBe(false)
  })
})
