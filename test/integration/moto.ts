/**
 * Harness for the integration tests: a moto_server (the patched launcher in test/moto/) on a
 * free loopback port, the built CLI run as a child process against it, and AWS SDK clients
 * pointed at the same endpoint so tests can check what the CLI really did.
 *
 * One server per vitest worker, which the worker's test files take in turn (acquireMoto);
 * `reset()` before each file and each test wipes its state.
 */
import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListChangeSetsCommand,
  ListStacksCommand,
  type ChangeSetSummary,
  type StackSummary,
} from '@aws-sdk/client-cloudformation'
import {EC2Client, DescribeInstancesCommand, type Instance} from '@aws-sdk/client-ec2'
import {spawn, type ChildProcess} from 'node:child_process'
import {appendFileSync, closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, afterEach, beforeAll, beforeEach, inject} from 'vitest'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The CLI under test: this checkout's build, or another built copy named by FINTECH_IT_CLI_ROOT. */
export const CLI_ROOT = process.env.FINTECH_IT_CLI_ROOT ? resolve(process.env.FINTECH_IT_CLI_ROOT) : REPO_ROOT
export const FIXTURE_DIR = join(REPO_ROOT, 'test/fixtures/moto-platform')
export const FIXTURE_CONFIG = join(FIXTURE_DIR, 'fintech.config.yaml')
const LAUNCHER = join(REPO_ROOT, 'test/moto/moto_server_patched.py')

export const REGION = 'us-east-1'
/** moto's default account, the one the fixture's dev env names. */
export const ACCOUNT = '123456789012'
export const STACKS = {network: 'fintech-dev-network', access: 'fintech-dev-access', servers: 'fintech-dev-servers'} as const

const READY_TIMEOUT_MS = 20_000
const CLI_TIMEOUT_MS = 60_000

/** A free loopback port: listen on 0, read the port, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (!address || typeof address === 'string') return reject(new Error('could not read the port of a listening socket'))
      server.close(() => resolvePort(address.port))
    })
  })
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

export interface Moto {
  endpoint: string
  port: number
  /** Wipes every resource in the emulator (POST /moto-api/reset). */
  reset(): Promise<void>
  /** Hands the server back for the worker's next test file (the server keeps running). */
  release(): void
  cfn: CloudFormationClient
  ec2: EC2Client
}

/** Where a worker's server is recorded, so the worker's next test file finds it. */
interface ServerRecord {
  pid: number
  port: number
  log: string
  ssmOutputFile: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's moto servers (test/integration/moto-servers.ts): their folder, and the test runner's pid. */
    motoServers: {folder: string; runnerPid: number}
  }
}

const recordFile = (folder: string, poolId: string) => join(folder, `worker-${poolId}.json`)

async function answers(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/moto-api/`, {signal: AbortSignal.timeout(1_000)})).ok
  } catch {
    return false
  }
}

const logTail = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-60).join('\n') : '')

/**
 * Starts the patched moto_server on a free port, in its own process group, and waits (at most
 * 20 s) until it answers. It outlives the worker that started it (its output goes to a file,
 * not to a pipe that would close with the worker): the run's teardown ends it, and so does
 * the launcher itself once the test runner's process is gone.
 */
async function launchMoto(folder: string, poolId: string, runnerPid: number): Promise<ServerRecord> {
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const log = join(folder, `worker-${poolId}-${port}.log`)
  const ssmOutputFile = join(folder, `worker-${poolId}-${port}.ssm-output`)
  const output = openSync(log, 'a')
  const child = spawn('python3', [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', output, output],
    env: {...process.env, PYTHONUNBUFFERED: '1', FINTECH_MOTO_SSM_OUTPUT_FILE: ssmOutputFile, FINTECH_MOTO_WATCH_PID: String(runnerPid)},
  })
  closeSync(output)
  child.unref()
  let failed: string | undefined
  // A launcher that cannot start (python3 missing) reports 'error' and never 'exit'.
  child.once('error', (error) => (failed = error.message))
  child.once('exit', (code, signal) => (failed = `exited with ${code ?? signal}`))
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (!(await answers(endpoint))) {
    if (failed) throw new Error(`moto_server (${LAUNCHER}) did not start: ${failed}\n${logTail(log)}`)
    if (Date.now() > deadline) {
      stopServer(child.pid)
      throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s\n${logTail(log)}`)
    }
    await sleep(100)
  }
  return {pid: child.pid!, port, log, ssmOutputFile}
}

/** SIGTERM to the server's process group (the launcher and anything it started). */
function stopServer(pid: number | undefined): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, 'SIGTERM')
  } catch {
    // already gone
  }
}

/**
 * This worker's moto_server, reset, with `ssmOutput` as what every SSM Run Command invocation
 * prints (moto's own answer when undefined). Starting moto costs seconds of CPU, so each
 * vitest worker starts one and its test files take it in turn: a worker runs one file at a
 * time, and the reset leaves nothing of the file before.
 */
export async function acquireMoto(ssmOutput?: string): Promise<Moto> {
  const {folder, runnerPid} = inject('motoServers')
  const poolId = process.env.VITEST_POOL_ID ?? '0'
  const path = recordFile(folder, poolId)
  let record = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ServerRecord) : undefined
  if (!record || !(await answers(`http://127.0.0.1:${record.port}`))) {
    stopServer(record?.pid)
    record = await launchMoto(folder, poolId, runnerPid)
    writeFileSync(path, JSON.stringify(record))
  }
  if (ssmOutput === undefined) rmSync(record.ssmOutputFile, {force: true})
  else writeFileSync(record.ssmOutputFile, ssmOutput)

  const endpoint = `http://127.0.0.1:${record.port}`
  const settings = {endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts: 2}
  const cfn = new CloudFormationClient(settings)
  const ec2 = new EC2Client(settings)
  const moto: Moto = {
    endpoint,
    port: record.port,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, {method: 'POST'})
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`)
    },
    release() {
      cfn.destroy()
      ec2.destroy()
    },
    cfn,
    ec2,
  }
  await moto.reset()
  return moto
}

export interface CliResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is JSON. */
  json?: any
  /** The audit log's lines (FINTECH_AUDIT_LOG of this run), parsed. */
  audit: AuditLine[]
}

export interface AuditLine {
  time: string
  caller: string
  env: string
  stack?: string
  action: string
  result: string
  detail?: string
}

export function readAudit(path: string): AuditLine[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditLine)
}

/**
 * Runs the built CLI (`node bin/run.js ...args`) against the emulator, the way CI would: no
 * terminal (stdin is /dev/null), CI=true, credentials for moto's account, no AWS profile,
 * and the audit log in `auditLog`. Nothing from the caller's AWS_* or FINTECH_* settings or NODE_ENV leaks in;
 * `extraEnv` overrides any of these (other credentials, say).
 */
export async function runCli(moto: Pick<Moto, 'endpoint'>, args: string[], auditLog: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(moto, args, auditLog, extraEnv).done
}

export interface RunningCli {
  child: ChildProcess
  /** stdout and stderr so far. */
  output(): {stdout: string; stderr: string}
  done: Promise<CliResult>
}

/** As runCli, for a test that acts on the running process (sends it signals) before it ends. */
export function startCli(moto: Pick<Moto, 'endpoint'>, args: string[], auditLog: string, extraEnv: NodeJS.ProcessEnv = {}): RunningCli {
  const bin = join(CLI_ROOT, 'bin/run.js')
  if (!existsSync(join(CLI_ROOT, 'dist/commands')) || !existsSync(join(CLI_ROOT, 'oclif.manifest.json'))) {
    throw new Error(`no built CLI in ${CLI_ROOT}: run \`npm run build\` first`)
  }
  // vitest's NODE_ENV=test is not in a user's shell either.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|FINTECH_)/.test(key) && key !== 'NODE_ENV'))
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: REGION,
    // Keep a developer's ~/.aws out of the run.
    AWS_CONFIG_FILE: join(tmpdir(), 'fintech-it-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'fintech-it-no-aws-credentials'),
    CI: 'true',
    FINTECH_AUDIT_LOG: auditLog,
    ...extraEnv,
  }
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const done = new Promise<CliResult>((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`fintech ${args.join(' ')} did not finish within ${CLI_TIMEOUT_MS / 1000} s\nstderr:\n${stderr}`))
    }, CLI_TIMEOUT_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer)
      let json: unknown
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined
      } catch {
        json = undefined
      }
      resolveRun({exitCode, signal, stdout, stderr, json, audit: readAudit(auditLog)})
    })
  })
  return {child, output: () => ({stdout, stderr}), done}
}

/** The repository's config, runbooks and templates in `dir`, with dev in moto's account and region; the config's path. */
export function repositoryProject(dir: string): string {
  for (const part of ['runbooks', 'templates']) cpSync(join(REPO_ROOT, part), join(dir, part), {recursive: true})
  const config = join(dir, 'fintech.config.yaml')
  const text = readFileSync(join(REPO_ROOT, 'fintech.config.yaml'), 'utf8').replace(/(\n {2}dev:\n {4}account: )"\d{12}"\n {4}region: [a-z0-9-]+/, `$1"${ACCOUNT}"\n    region: ${REGION}`)
  writeFileSync(config, text)
  return config
}

/** A scratch directory, removed by the returned cleanup. */
export function scratchDir(prefix = 'fintech-it-'): {dir: string; cleanup: () => void} {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

/** A private copy of the fixture platform that a test may change; returns its config path. */
export function copyFixture(into: string): string {
  const target = join(into, 'platform')
  cpSync(FIXTURE_DIR, target, {recursive: true})
  return join(target, 'fintech.config.yaml')
}

/** A private copy of the fixture platform with a fourth stage (alerts: an SNS topic) after servers; returns its config path. */
export function fourStagePlatform(into: string): string {
  const config = copyFixture(into)
  writeFileSync(
    join(dirname(config), 'templates/alerts.yaml'),
    'AWSTemplateFormatVersion: "2010-09-09"\nParameters:\n  EnvironmentName: {Type: String}\nResources:\n  Alerts:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Sub fintech-${EnvironmentName}-alerts\n',
  )
  appendFileSync(config, '  - name: alerts\n    stacks:\n      - id: alerts\n        template: templates/alerts.yaml\n        parameters:\n          EnvironmentName: {env: name}\n')
  return config
}

/**
 * stderr as one line of words: oclif wraps error messages to the terminal width and prefixes
 * each line with " ›", which would split the phrases tests look for.
 */
export const errorText = (stderr: string) => stderr.replaceAll('›', ' ').replace(/\s+/g, ' ').trim()

/** A CLI run in a few lines, for the message of a failed assertion. */
export const explain = (run: CliResult) => `exit ${run.exitCode}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`

/** Every stack of a --json deploy result, flattened, by stack id. */
export function stacksOf(result: any): Record<string, any> {
  const stacks = (result?.stages ?? []).flatMap((stage: {stacks: unknown[]}) => stage.stacks)
  return Object.fromEntries(stacks.map((stack: {id: string}) => [stack.id, stack]))
}

/** The stack, or undefined when DescribeStacks says it does not exist. */
export async function describeStack(moto: Moto, stackName: string) {
  try {
    const {Stacks} = await moto.cfn.send(new DescribeStacksCommand({StackName: stackName}))
    return Stacks?.[0]
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return undefined
    throw error
  }
}

export async function listStacks(moto: Moto): Promise<StackSummary[]> {
  const summaries: StackSummary[] = []
  let NextToken: string | undefined
  do {
    const page = await moto.cfn.send(new ListStacksCommand({NextToken}))
    summaries.push(...(page.StackSummaries ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  return summaries
}

/** Instances in the emulator, optionally only those in the given states. */
export async function instances(moto: Moto, states?: string[]): Promise<Instance[]> {
  const all: Instance[] = []
  let NextToken: string | undefined
  do {
    const page = await moto.ec2.send(
      new DescribeInstancesCommand({NextToken, Filters: states ? [{Name: 'instance-state-name', Values: states}] : undefined}),
    )
    for (const reservation of page.Reservations ?? []) all.push(...(reservation.Instances ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  return all
}

export const tagValue = (tags: Array<{Key?: string; Value?: string}> | undefined, key: string) => tags?.find((tag) => tag.Key === key)?.Value

/** The change sets of one stack. */
export async function changeSetsOf(moto: Moto, stackName: string): Promise<ChangeSetSummary[]> {
  const summaries: ChangeSetSummary[] = []
  let NextToken: string | undefined
  do {
    const page = await moto.cfn.send(new ListChangeSetsCommand({StackName: stackName, NextToken}))
    // moto 5.2.1 ignores the StackName filter of ListChangeSets and lists every stack's: filter here.
    summaries.push(...(page.Summaries ?? []).filter((summary) => summary.StackName === stackName))
    NextToken = page.NextToken
  } while (NextToken)
  return summaries
}

/** What CloudFormation recorded about a stack: its change sets and events (ids), to tell whether a run touched it. */
export async function cfnTrace(moto: Moto, stackName: string): Promise<{changeSets: string[]; events: string[]}> {
  const changeSets = (await changeSetsOf(moto, stackName)).map((summary) => summary.ChangeSetId ?? '')
  const events: string[] = []
  let eventsToken: string | undefined
  do {
    const page = await moto.cfn.send(new DescribeStackEventsCommand({StackName: stackName, NextToken: eventsToken}))
    events.push(...(page.StackEvents ?? []).map((event) => event.EventId ?? ''))
    eventsToken = page.NextToken
  } while (eventsToken)
  return {changeSets: changeSets.sort(), events: events.sort()}
}

/**
 * Registers the per-file lifecycle: the worker's moto_server for the file (beforeAll/afterAll),
 * with `ssmOutput` as what SSM Run Command invocations print, and before each test a reset
 * emulator plus a fresh scratch dir holding that test's audit log.
 */
export function useMoto(ssmOutput?: string) {
  let server: Moto | undefined
  let scratch: ReturnType<typeof scratchDir> | undefined
  const context = {
    get moto(): Moto {
      if (!server) throw new Error('moto_server is not running (beforeAll failed?)')
      return server
    },
    /** This test's scratch directory. */
    get dir(): string {
      return scratch!.dir
    },
    /** This test's audit log (FINTECH_AUDIT_LOG of every CLI run in it). */
    get auditLog(): string {
      return join(scratch!.dir, 'audit.jsonl')
    },
    run: (args: string[]) => runCli(context.moto, args, context.auditLog),
  }
  beforeAll(async () => {
    server = await acquireMoto(ssmOutput)
  })
  afterAll(() => {
    server?.release()
  })
  beforeEach(async () => {
    await context.moto.reset()
    scratch = scratchDir()
  })
  afterEach(() => {
    scratch?.cleanup()
    scratch = undefined
  })
  return context
}
