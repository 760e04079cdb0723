import {GetCommandInvocationCommand, SendCommandCommand, SSMClient, SSMServiceException, type GetCommandInvocationCommandOutput} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createRedisProbe} from '../../src/aws/ssm.js'
import {probeDocumentScript, probeScript} from '../../src/core/shutdown/redis-probe.js'
import {freePort} from '../integration/moto.js'

const ssm = mockClient(SSMClient)
const TARGET = {region: 'eu-west-1'}
const COMMAND_ID = '0b5e1d4a-7f3c-4c1e-9a51-3f6a2b8c9d10'
const NODES = ['i-0aaa00000000000a1', 'i-0aaa00000000000a2', 'i-0aaa00000000000a3']

beforeEach(() => ssm.reset())

const ssmError = (name: string, message: string) => new SSMServiceException({name, message, $fault: 'client', $metadata: {httpStatusCode: 400}})

function invocation(Status: GetCommandInvocationCommandOutput['Status'], stdout = '', stderr = '', StatusDetails: string | undefined = Status): GetCommandInvocationCommandOutput {
  return {$metadata: {}, CommandId: COMMAND_ID, InstanceId: NODES[0], Status, StatusDetails, StandardOutputContent: stdout, StandardErrorContent: stderr}
}

/** A probe whose waits return at once and are recorded. */
async function probe(options: {authSecretArn?: string} = {}) {
  const waits: number[] = []
  const api = await createRedisProbe(TARGET, {masterName: 'fintech-dev', ...options, sleep: async (ms) => void waits.push(ms)})
  return {api, waits}
}

describe('masterReachable', () => {
  it('runs the probe on the first node and polls until it answers', async () => {
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: COMMAND_ID}})
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(ssmError('InvocationDoesNotExist', 'An error occurred (InvocationDoesNotExist)'))
      .resolvesOnce(invocation('InProgress'))
      .resolves(invocation('Success', 'master 10.20.3.14:6379\nPONG\n'))
    const {api, waits} = await probe()

    expect(await api.masterReachable(NODES)).toEqual({ok: true, detail: '10.20.3.14:6379'})

    expect(ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input)).toEqual([
      {
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [NODES[0]],
        Parameters: {commands: probeScript('fintech-dev'), executionTimeout: ['60']},
        TimeoutSeconds: 60,
        Comment: 'fintech: is the Redis master fintech-dev reachable?',
      },
    ])
    expect(ssm.commandCalls(GetCommandInvocationCommand).map((call) => call.args[0].input)).toEqual(
      Array(3).fill({CommandId: COMMAND_ID, InstanceId: NODES[0]}),
    )
    expect(waits).toEqual([1000, 2000, 4000])
  })

  it.each([
    {
      why: 'Sentinel names no master',
      answer: invocation('Failed', 'Sentinel names no master for fintech-dev: \n', '', 'Failed'),
      detail: `Failed on ${NODES[0]}: Sentinel names no master for fintech-dev:`,
    },
    {
      why: 'the master does not answer',
      answer: invocation('Failed', 'master 10.20.3.14:6379\nCould not connect to Redis at 10.20.3.14:6379: Connection refused\n'),
      detail: `Failed on ${NODES[0]}: master 10.20.3.14:6379\nCould not connect to Redis at 10.20.3.14:6379: Connection refused`,
    },
    {
      why: 'the master refuses the password',
      answer: invocation('Success', 'master 10.20.3.14:6379\nAUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n'),
      detail: `Success on ${NODES[0]}: master 10.20.3.14:6379\nAUTH failed: WRONGPASS invalid username-password pair or user is disabled.`,
    },
    {
      why: 'the script timed out',
      answer: invocation('TimedOut', '', '', 'ExecutionTimedOut'),
      detail: `TimedOut on ${NODES[0]}: ExecutionTimedOut`,
    },
    {why: 'someone cancelled it', answer: invocation('Cancelled', '', '', 'Cancelled'), detail: `Cancelled on ${NODES[0]}: Cancelled`},
  ])('is not ok when $why, and says so', async ({answer, detail}) => {
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: COMMAND_ID}})
    ssm.on(GetCommandInvocationCommand).resolves(answer)
    const {api} = await probe()
    expect(await api.masterReachable([NODES[0]!])).toEqual({ok: false, detail})
  })

  it('gives up after about three minutes without an answer', async () => {
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: COMMAND_ID}})
    ssm.on(GetCommandInvocationCommand).resolves(invocation('InProgress'))
    const {api, waits} = await probe()

    const result = await api.masterReachable([NODES[0]!])

    expect(result).toEqual({ok: false, detail: `no answer from ${NODES[0]} within 3 minutes (command ${COMMAND_ID}, InProgress)`})
    expect(waits.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 10_000])
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(185_000)
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(waits.length)
  })

  it('is not ok, without polling, when SSM cannot reach the node yet', async () => {
    ssm.on(SendCommandCommand).rejects(ssmError('InvalidInstanceId', 'Instances [[i-0aaa00000000000a1]] not in a valid state for account 111111111111'))
    const {api} = await probe()

    expect(await api.masterReachable([NODES[0]!])).toEqual({
      ok: false,
      detail: `SSM cannot run commands on ${NODES[0]} (yet): Instances [[i-0aaa00000000000a1]] not in a valid state for account 111111111111`,
    })
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0)
  })

  it('asks the next node when the first cannot answer', async () => {
    ssm
      .on(SendCommandCommand, {InstanceIds: [NODES[0]!]})
      .rejects(ssmError('InvalidInstanceId', 'Instances [[i-0aaa00000000000a1]] not in a valid state for account 111111111111'))
    ssm.on(SendCommandCommand, {InstanceIds: [NODES[1]!]}).resolves({Command: {CommandId: COMMAND_ID}})
    ssm.on(GetCommandInvocationCommand).resolves(invocation('Success', 'master 10.0.2.12:6379\nPONG\n'))
    const {api} = await probe()

    expect(await api.masterReachable(NODES)).toEqual({ok: true, detail: '10.0.2.12:6379'})
    expect(ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input.InstanceIds)).toEqual([[NODES[0]], [NODES[1]]])
  })

  it('has nothing to ask without a node', async () => {
    const {api} = await probe()
    expect(await api.masterReachable([])).toEqual({ok: false, detail: 'no running Redis instance to ask'})
    expect(ssm.calls()).toHaveLength(0)
  })

  it('passes other errors through', async () => {
    ssm.on(SendCommandCommand).rejects(ssmError('AccessDeniedException', 'User is not authorized to perform: ssm:SendCommand'))
    const {api} = await probe()
    await expect(api.masterReachable(NODES)).rejects.toMatchObject({name: 'AccessDeniedException'})
  })
})

describe('probeScript', () => {
  it('asks the local Sentinel and pings the master, with the password from the node and never in the command', () => {
    const script = probeScript('fintech-dev').join('\n')
    expect(script).toContain('CONF=/etc/fintech-redis/sentinel.conf')
    expect(script).toContain('-p 26379 SENTINEL get-master-addr-by-name "$NAME"')
    expect(script).toContain('export REDISCLI_AUTH="$AUTH"')
    expect(script).not.toMatch(/ -a /)
    expect(script).not.toContain('secretsmanager')
  })

  it('falls back to the secret only when the config holds no password', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:fintech-dev-redis-auth-AbCdEf'
    expect(probeScript('fintech-dev', arn)).toContain(
      `[ -n "$AUTH" ] || AUTH=$(aws secretsmanager get-secret-value --secret-id '${arn}' --query SecretString --output text)`,
    )
  })

  it('quotes the master name for the shell', () => {
    expect(probeScript("it's; rm -rf /")).toContain(`NAME='it'\\''s; rm -rf /'`)
  })
})

/**
 * The script itself, run by `sh` against a real redis-server and redis-sentinel on loopback,
 * configured the way the data stage's bootstrap configures a node. Only the config path and
 * the Sentinel port are moved, so tests need neither root nor fixed ports.
 */
describe('the probe script on a real Redis and Sentinel', () => {
  const PASSWORD = 'Zx8mQ2vR7tLk4pW9nB3cF6hJ1dS5gA0e'
  const MASTER_NAME = 'fintech-dev'
  const processes: ChildProcess[] = []
  let dir: string
  let conf: string
  let redisPort: number
  let sentinelPort: number

  const cli = (port: number, ...args: string[]) =>
    promisify(execFile)('redis-cli', ['-p', String(port), ...args], {env: {...process.env, REDISCLI_AUTH: PASSWORD}}).then(
      ({stdout}) => stdout.trim(),
      () => '',
    )

  async function untilAnswers(port: number) {
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await cli(port, 'PING')) === 'PONG') return
      await new Promise((done) => setTimeout(done, 50))
    }
    throw new Error(`nothing answers on port ${port}`)
  }

  function run(commands: string[], confPath = conf): Promise<{code: number; output: string}> {
    const script = commands
      .join('\n')
      .replace('CONF=/etc/fintech-redis/sentinel.conf', `CONF=${confPath}`)
      .replace('-p 26379 ', `-p ${sentinelPort} `)
    return new Promise((done) => {
      execFile('sh', ['-c', script], (error, stdout, stderr) => done({code: error ? Number(error.code) : 0, output: stdout + stderr}))
    })
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fintech-probe-'))
    ;[redisPort, sentinelPort] = [await freePort(), await freePort()]
    processes.push(
      spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', PASSWORD, '--save', '', '--dir', dir], {stdio: 'ignore'}),
    )
    conf = join(dir, 'sentinel.conf')
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${PASSWORD}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${redisPort} 1`,
        `sentinel auth-pass ${MASTER_NAME} ${PASSWORD}`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 5000`,
        '',
      ].join('\n'),
    )
    processes.push(spawn('redis-sentinel', [conf], {stdio: 'ignore'}))
    await untilAnswers(redisPort)
    await untilAnswers(sentinelPort)
  })

  afterAll(async () => {
    const stopped = (child: ChildProcess) =>
      new Promise<void>((exited) => {
        if (child.exitCode !== null || child.signalCode !== null) return exited()
        child.once('exit', () => exited())
        child.kill()
      })
    await Promise.all(processes.map(stopped))
    rmSync(dir, {recursive: true, force: true})
  })

  it('prints the master Sentinel names and its PONG, reading the password Sentinel keeps in its config', async () => {
    // Sentinel rewrites its config on start; the password must survive that.
    expect(readFileSync(conf, 'utf8')).toMatch(/^requirepass /m)

    const {code, output} = await run(probeScript(MASTER_NAME))

    expect({code, output}).toEqual({code: 0, output: `master 127.0.0.1:${redisPort}\nPONG\n`})
  })

  it('fails, saying so, for a name Sentinel does not monitor', async () => {
    const {code, output} = await run(probeScript('fintech-prod'))
    expect(code).toBe(3)
    expect(output).toMatch(/^Sentinel names no master for fintech-prod:/)
  })

  it('takes the password Sentinel uses for the master when its own is not in the config', async () => {
    const masterOnly = join(dir, 'master-only.conf')
    writeFileSync(masterOnly, readFileSync(conf, 'utf8').replace(/^requirepass .*$/m, ''))
    const {code, output} = await run(probeScript(MASTER_NAME), masterOnly)
    expect({code, output}).toEqual({code: 0, output: `master 127.0.0.1:${redisPort}\nPONG\n`})
  })

  it('fails when the config holds no password and no secret is named', async () => {
    const empty = join(dir, 'empty.conf')
    writeFileSync(empty, readFileSync(conf, 'utf8').replace(/^requirepass .*$/m, '').replace(/^sentinel auth-pass .*$/m, ''))
    const {code, output} = await run(probeScript(MASTER_NAME), empty)
    expect(code).toBe(2)
    expect(output).toBe(`no AUTH password in ${empty}\n`)
  })
})

describe('the probe document of the schedule stack', () => {
  it('runs the named document with the master name as its parameter, not AWS-RunShellScript', async () => {
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: COMMAND_ID}})
    ssm.on(GetCommandInvocationCommand).resolves(invocation('Success', 'master 10.0.2.11:6379\nPONG\n'))
    const api = await createRedisProbe(TARGET, {masterName: 'fintech-dev', documentName: 'fintech-dev-RedisProbeDocument-AbC123', sleep: async () => {}})

    expect(await api.masterReachable([NODES[0]!])).toEqual({ok: true, detail: '10.0.2.11:6379'})
    expect(ssm.commandCalls(SendCommandCommand)[0]!.args[0].input).toMatchObject({
      DocumentName: 'fintech-dev-RedisProbeDocument-AbC123',
      Parameters: {MasterName: ['fintech-dev']},
      InstanceIds: [NODES[0]],
    })
  })

  it('is the same script, with the master name left for SSM to fill in', () => {
    expect(probeDocumentScript().split('\n')).toEqual(probeScript('{{ MasterName }}'))
    expect(probeDocumentScript()).toContain("NAME='{{ MasterName }}'")
  })
})
