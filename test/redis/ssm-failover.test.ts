import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadRunbooks} from '../../src/core/runbook/load.js'
import {exportSsm, type SsmStep} from '../../src/core/runbook/ssm.js'
import {parseInfo, startRedisHarness, waitFor, type RedisHarness} from '../helpers/redis-harness.js'
import {startWriter} from '../helpers/redis-writer.js'
import {RUN_COMMAND_SUCCEEDS, runHandler} from '../helpers/ssm-script.js'

/**
 * The exported redis-failover document run for real: its aws:executeScript steps' handlers
 * (with a stand-in boto3) build the Run Command script exactly as SSM would send it, and that
 * script runs here with bash against real redis-server and redis-sentinel processes.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const document = exportSsm(loadRunbooks(REPO, ['dev']).runbooks.get('redis-failover')!).document!
const step = (name: string) => document.mainSteps.find((candidate) => candidate.name === name)!

/** The shell script the runner sends for `ssmStep`, and the instance it sends it to. */
function sentScript(ssmStep: SsmStep, harness: RedisHarness): {script: string; request: any; calls: Array<{method: string; request: any}>} {
  const run = runHandler(ssmStep, {SentinelPort: String(harness.sentinels[0]!.port), RedisMasterName: harness.masterName, maxLagBytes: 0, Environment: 'dev'}, RUN_COMMAND_SUCCEEDS, {pollSeconds: 0})
  expect(run.error).toBeUndefined()
  const sent = run.calls.find((call) => call.method === 'send_command')!
  return {script: sent.request.Parameters.commands[0], request: sent.request, calls: run.calls}
}

/** Runs the script with bash as Run Command would; only the AUTH password comes from outside (the node's config file there). */
function bash(script: string, password: string): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {env: {PATH: process.env.PATH, REDISCLI_AUTH: password}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
  })
}

describe('the exported redis-failover document against real Redis and Sentinel', () => {
  let harness: RedisHarness

  beforeAll(async () => {
    harness = await startRedisHarness()
  })
  afterAll(async () => {
    await harness?.stop()
  })

  it('sends the failover to one online instance tagged fintech:component=redis in the env, the values as environment variables', () => {
    const {script, request, calls} = sentScript(step('failover'), harness)
    expect(calls[0]).toEqual({service: 'ssm', method: 'describe_instance_information', request: {Filters: [{Key: 'tag:fintech:component', Values: ['redis']}, {Key: 'tag:Environment', Values: ['dev']}]}})
    expect(request.InstanceIds).toEqual(['i-0aaa'])
    expect(request.DocumentName).toBe('AWS-RunShellScript')
    expect(script).not.toContain(harness.masterName)
    expect(script).toMatch(/^MASTER_NAME="\$\(printf %s [A-Za-z0-9+/=]+ \| base64 --decode; printf x\)"\nexport MASTER_NAME="\$\{MASTER_NAME%x\}"$/m)
  })

  it('status reports the primary and every Sentinel agreeing, exit 0', async () => {
    const primary = await harness.masterPort()
    const run = await bash(sentScript(step('before'), harness).script, harness.password)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`primary 127.0.0.1:${primary} (master)`)
    for (const sentinel of harness.sentinels) expect(run.stdout).toContain(`:${sentinel.port}: 127.0.0.1:${primary}`)
  })

  it('moves the primary under ~100 writes/s and loses no acknowledged write; the old primary follows the new one', async () => {
    const before = await harness.masterPort()
    const writer = startWriter(harness, 'ssm')
    await waitFor('the writer to get going', async () => (await harness.client(await harness.masterPort()).exists('ssm:50')) === 1)
    const run = await bash(sentScript(step('failover'), harness).script, harness.password)
    const {acknowledged} = await writer.stop()
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const after = await harness.masterPort()
    expect(after).not.toBe(before)
    expect(run.stdout).toContain(`done: 127.0.0.1:${before} -> 127.0.0.1:${after}`)
    expect(parseInfo((await harness.client(before).call('INFO', 'replication')) as string)).toMatchObject({role: 'slave', master_port: String(after), master_link_status: 'up'})
    expect(acknowledged.length).toBeGreaterThan(100)
    const values = await harness.client(after).mget(...acknowledged)
    expect(acknowledged.filter((key, index) => values[index] !== key)).toEqual([])
  })

  it('refuses while a replica stays behind with nothing to promote, and leaves the primary where it was', async () => {
    await harness.settled()
    const before = await harness.masterPort()
    const replicas = harness.nodes.filter((node) => node.port !== before)
    for (const replica of replicas) await harness.breakLink(replica.port)
    try {
      const {script} = sentScript(step('failover'), harness)
      const run = await bash(`export SYNC_TIMEOUT_S=1\n${script}`, harness.password)
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`fintech: no replica is in sync with 127.0.0.1:${before} after 1 s: NOGOODSLAVE, nothing was changed`)
      expect(await harness.masterPort()).toBe(before)
    } finally {
      for (const replica of replicas) await harness.healLink(replica.port)
    }
  })
})
