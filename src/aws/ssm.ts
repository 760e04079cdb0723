import type {CommandInvocation, GetCommandInvocationCommandOutput, SendCommandCommandInput} from '@aws-sdk/client-ssm'
import {randomUUID} from 'node:crypto'
import {InterruptedError} from '../core/clock.js'
import {FintechError} from '../core/errors.js'
import type {RedisProbe} from '../core/shutdown/api.js'
import {PROBE_DOCUMENT_PARAMETER, probeScript} from '../core/shutdown/redis-probe.js'
import {createClient, MAX_ATTEMPTS, type AwsTarget} from './clients.js'
import {recountAttempts} from './failures.js'
import {allPages, eachPage} from './paging.js'

export interface ShellRun {
  status: string
  output: string
  commandId: string
}

const FIRST_POLL_MS = 1000
const MAX_POLL_MS = 10_000
const DONE = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled'])
const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done, fail) => {
    if (signal?.aborted) return fail(new Error('aborted'))
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), fail(new Error('aborted'))), {once: true})
  })

/** SSM's longest comment. */
const COMMENT_LENGTH = 100
/** How far back the search for a command sent from here looks: its sending plus clock skew. */
const LOOKBACK_MS = 5 * 60_000
const RESEND_DELAY_MS = 500
const MAX_RESEND_DELAY_MS = 10_000

const statusOf = (error: unknown) => (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
const nameOf = (error: unknown) => (error as {name?: string}).name ?? ''
const isThrottled = (error: unknown) => statusOf(error) === 429 || /Throttl|TooManyRequests/.test(nameOf(error))
/** SSM answered no: the command does not exist, and sending it again would be refused again. */
const isRefused = (error: unknown) => nameOf(error) === 'AbortError' || (statusOf(error) !== undefined && statusOf(error)! < 500 && !isThrottled(error))

/**
 * Sends a command and returns its id. SendCommand takes no idempotency token, and a re-send
 * after a lost answer would run the script twice (two failovers, two uploads), so the SDK
 * never sends it again by itself: the command carries a mark at the end of its comment, and
 * after a failure that may have reached SSM (no answer, a 5xx) it is looked for by that mark
 * and sent again only when SSM has no such command. Throttled sends, which SSM refused
 * before running anything, are sent again after a pause without looking.
 */
export async function sendCommandOnce(target: AwsTarget, input: SendCommandCommandInput, sleep: (ms: number) => Promise<void>): Promise<string> {
  const ssm = await import('@aws-sdk/client-ssm')
  const once = createClient(ssm.SSMClient, target, {maxAttempts: 1})
  const reader = createClient(ssm.SSMClient, target)
  const mark = `#${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const comment = `${(input.Comment ?? '').slice(0, COMMENT_LENGTH - mark.length - 1)} ${mark}`.trimStart()
  const since = new Date(Date.now() - LOOKBACK_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')

  async function sentBefore(): Promise<string | undefined> {
    const pages = eachPage(
      (token) => reader.send(new ssm.ListCommandsCommand({Filters: [{key: 'InvokedAfter', value: since}], MaxResults: 50, ...(token ? {NextToken: token} : {})})),
      (page) => page.NextToken,
    )
    for await (const page of pages) {
      const found = page.Commands?.find((command) => command.Comment === comment)
      if (found?.CommandId) return found.CommandId
    }
    return undefined
  }

  for (let attempt = 1; ; attempt++) {
    try {
      const {Command} = await once.send(new ssm.SendCommandCommand({...input, Comment: comment}))
      return Command?.CommandId ?? ''
    } catch (error) {
      if (isRefused(error) || attempt === MAX_ATTEMPTS) throw recountAttempts(error, attempt)
      if (!isThrottled(error)) {
        const sent = await sentBefore().catch((lookup: unknown) => {
          throw new FintechError(
            `${(error as Error).message.replace(/\.$/, '')}; the command may have run, and looking for it failed too (${(lookup as Error).message}): ` +
              `find the command with the comment "${comment}" in the Run Command history before running it again`,
          )
        })
        if (sent) return sent
      }
      await sleep(Math.min(RESEND_DELAY_MS * 2 ** (attempt - 1), MAX_RESEND_DELAY_MS))
    }
  }
}

/**
 * Runs a shell script on one instance through SSM Run Command (AWS-RunShellScript) and polls
 * until it ends, the way the Redis probe below polls. Returns its status and output.
 * `sent` hears the command id as soon as SSM has the command. `signal` (Ctrl-C) ends the wait
 * for its end with InterruptedError, never the sending nor the command: a script stopped
 * half-way (a package upgrade, a restart) is worse than one left to run on.
 */
export async function runShellScript(
  target: AwsTarget,
  instanceId: string,
  commands: string[],
  options: {comment: string; timeoutSeconds: number; sleep?: (ms: number) => Promise<void>; signal?: AbortSignal; sent?: (commandId: string) => void},
): Promise<ShellRun> {
  const ssm = await import('@aws-sdk/client-ssm')
  const client = createClient(ssm.SSMClient, target)
  const {signal} = options
  const sleep = options.sleep ?? wait
  // The send is waited for whatever happens; only the wait for the command's end hears Ctrl-C.
  const pause = async (ms: number) => {
    if (!signal?.aborted) await (options.sleep ? options.sleep(ms) : wait(ms, signal).catch(() => undefined))
    if (signal?.aborted) throw new InterruptedError()
  }
  const commandId = await sendCommandOnce(
    target,
    {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instanceId],
      Parameters: {commands, executionTimeout: [String(options.timeoutSeconds)]},
      TimeoutSeconds: options.timeoutSeconds,
      Comment: options.comment,
    },
    sleep,
  )
  options.sent?.(commandId)
  let waited = 0
  let status = 'Pending'
  for (let attempt = 0; waited < (options.timeoutSeconds + 60) * 1000; attempt++) {
    const delay = Math.min(FIRST_POLL_MS * 2 ** attempt, MAX_POLL_MS)
    await pause(delay)
    waited += delay
    try {
      const invocation = await client.send(new ssm.GetCommandInvocationCommand({CommandId: commandId, InstanceId: instanceId}), {abortSignal: signal})
      status = invocation.Status ?? 'Pending'
      if (DONE.has(status)) {
        const output = [invocation.StandardOutputContent, invocation.StandardErrorContent].map((text) => text?.trim()).filter(Boolean).join('\n')
        return {status, output: output || invocation.StatusDetails || '', commandId}
      }
    } catch (error) {
      if (signal?.aborted) throw new InterruptedError()
      // SSM makes the invocation visible a moment after SendCommand returns.
      if ((error as {name?: string}).name !== 'InvocationDoesNotExist') throw error
    }
  }
  return {status: `no end within ${options.timeoutSeconds + 60} s (last ${status})`, output: '', commandId}
}

/** SSM lists a command's invocations once it has resolved its targets; none by then means no instance matched. */
const NO_TARGET_AFTER_MS = 30_000

/**
 * Script lines that set each variable to its value byte for byte, without the value ever
 * being shell text: it travels base64-encoded (an alphabet that means nothing to sh in any
 * quoting), is decoded by base64 -d, and the `x` appended keeps the trailing newlines that
 * command substitution would strip. POSIX sh, so it runs whatever /bin/sh the instance has.
 */
export function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new FintechError(`${JSON.stringify(name)} is not an environment variable name`)
    return `${name}=$(printf '%s' '${Buffer.from(value, 'utf8').toString('base64')}' | base64 -d; printf x); ${name}=\${${name}%x}; export ${name}`
  })
}

/**
 * Runs a shell script through SSM Run Command on every instance carrying `tag` in the env
 * (its Environment tag too, so a tag shared across envs never reaches another env's hosts),
 * and waits until every invocation ended. Exit code 0 only when all succeeded. Aborting (the
 * step's timeout, Ctrl-C) cancels the command on the instances. `env` reaches the script as
 * environment variables (exportLines).
 */
export async function runShellScriptOnTagged(
  target: AwsTarget,
  on: {tag: {key: string; value: string}; environment: string},
  commands: string[],
  options: {env?: Record<string, string>; comment: string; timeoutSeconds: number; signal: AbortSignal; sleep?: (ms: number) => Promise<void>},
): Promise<{exitCode: number; stdout: string; stderr: string}> {
  const ssm = await import('@aws-sdk/client-ssm')
  const client = createClient(ssm.SSMClient, target)
  const sleep = options.sleep ?? ((ms: number) => wait(ms, options.signal))
  const commandId = await sendCommandOnce(
    target,
    {
      DocumentName: 'AWS-RunShellScript',
      Targets: [
        {Key: `tag:${on.tag.key}`, Values: [on.tag.value]},
        {Key: 'tag:Environment', Values: [on.environment]},
      ],
      Parameters: {commands: [...exportLines(options.env ?? {}), ...commands], executionTimeout: [String(options.timeoutSeconds)]},
      TimeoutSeconds: options.timeoutSeconds,
      Comment: options.comment,
    },
    sleep,
  )
  const started = Date.now()
  try {
    for (let attempt = 0; Date.now() - started < (options.timeoutSeconds + 60) * 1000; attempt++) {
      await sleep(Math.min(FIRST_POLL_MS * 2 ** attempt, MAX_POLL_MS))
      const pages = await allPages(
        (token) => client.send(new ssm.ListCommandInvocationsCommand({CommandId: commandId, Details: true, ...(token ? {NextToken: token} : {})}), {abortSignal: options.signal}),
        (page) => page.NextToken,
      )
      const invocations: CommandInvocation[] = pages.flatMap((page) => page.CommandInvocations ?? [])
      if (invocations.length === 0 && Date.now() - started >= NO_TARGET_AFTER_MS) {
        return {exitCode: 1, stdout: '', stderr: `no instance of ${on.environment} carries the tag ${on.tag.key}=${on.tag.value} (command ${commandId} has no invocation)`}
      }
      if (invocations.length === 0 || !invocations.every((invocation) => DONE.has(invocation.Status ?? ''))) continue
      const outputOf = (invocation: CommandInvocation) => (invocation.CommandPlugins ?? []).map((plugin) => plugin.Output ?? '').join('').trim()
      const failed = invocations.filter((invocation) => invocation.Status !== 'Success')
      return {
        exitCode: failed.length === 0 ? 0 : 1,
        stdout: invocations.map((invocation) => `${invocation.InstanceId}: ${outputOf(invocation)}`).join('\n'),
        stderr: failed.map((invocation) => `${invocation.InstanceId}: ${invocation.Status} ${invocation.StatusDetails ?? ''}`.trim()).join('\n'),
      }
    }
    return {exitCode: 1, stdout: '', stderr: `command ${commandId} did not end within ${options.timeoutSeconds + 60} s`}
  } catch (error) {
    // Stopped from here (timeout, Ctrl-C): stop it on the instances too.
    if (options.signal.aborted) await client.send(new ssm.CancelCommandCommand({CommandId: commandId})).catch(() => undefined)
    throw error
  }
}

export interface RedisProbeOptions {
  /** The name Sentinel monitors the primary under (the data stage's RedisMasterName). */
  masterName: string
  /** Where the node reads the AUTH password when its sentinel.conf holds none (the bootstrap writes it there). */
  authSecretArn?: string
  /**
   * An SSM document that holds the probe script (the schedule stack's), so the scheduled task
   * may run only that on the nodes; AWS-RunShellScript with the script otherwise.
   */
  documentName?: string
  /** Waits between polls of the command; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>
}

/** How long one probe waits for the node's answer before reporting none. */
const POLL_BUDGET_MS = 3 * 60_000
/** How long the script may run on the node; each redis-cli call answers in milliseconds. */
const SCRIPT_TIMEOUT_SECONDS = 60
/** The line the script prints before it pings the master Sentinel named. */
const MASTER_LINE = /^master (\S+)$/m

const outputOf = (invocation: GetCommandInvocationCommandOutput) =>
  [invocation.StandardOutputContent, invocation.StandardErrorContent]
    .map((text) => text?.trim())
    .filter(Boolean)
    .join('\n')

/**
 * Asks a Redis node, through SSM Run Command, whether its Sentinel names a master and that
 * master answers PING. The node runs the check because the CLI has no route into the data
 * subnets.
 */
export async function createRedisProbe(target: AwsTarget, options: RedisProbeOptions): Promise<RedisProbe> {
  const ssm = await import('@aws-sdk/client-ssm')
  const client = createClient(ssm.SSMClient, target)
  const sleep = options.sleep ?? wait
  const document: {DocumentName: string; Parameters: Record<string, string[]>} = options.documentName
    ? {DocumentName: options.documentName, Parameters: {[PROBE_DOCUMENT_PARAMETER]: [options.masterName]}}
    : {DocumentName: 'AWS-RunShellScript', Parameters: {commands: probeScript(options.masterName, options.authSecretArn), executionTimeout: [String(SCRIPT_TIMEOUT_SECONDS)]}}

  async function send(instanceId: string): Promise<string | {ok: false; detail: string}> {
    try {
      const {Command} = await client.send(
        new ssm.SendCommandCommand({
          ...document,
          InstanceIds: [instanceId],
          TimeoutSeconds: SCRIPT_TIMEOUT_SECONDS,
          Comment: `fintech: is the Redis master ${options.masterName} reachable?`.slice(0, 100),
        }),
      )
      return Command?.CommandId ?? ''
    } catch (error) {
      // A node that just started is not registered with SSM yet: not ready, which is an answer.
      if ((error as {name?: string}).name !== 'InvalidInstanceId') throw error
      return {ok: false, detail: `SSM cannot run commands on ${instanceId} (yet): ${(error as Error).message}`}
    }
  }

  async function ask(instanceId: string): Promise<{ok: boolean; detail: string}> {
    const commandId = await send(instanceId)
    if (typeof commandId !== 'string') return commandId

    let waited = 0
    let status = 'Pending'
    for (let attempt = 0; waited < POLL_BUDGET_MS; attempt++) {
      const delay = Math.min(FIRST_POLL_MS * 2 ** attempt, MAX_POLL_MS)
      await sleep(delay)
      waited += delay
      let invocation: GetCommandInvocationCommandOutput
      try {
        invocation = await client.send(new ssm.GetCommandInvocationCommand({CommandId: commandId, InstanceId: instanceId}))
      } catch (error) {
        // SSM makes the invocation visible a moment after SendCommand returns.
        if ((error as {name?: string}).name === 'InvocationDoesNotExist') continue
        throw error
      }
      status = invocation.Status ?? 'Pending'
      if (!DONE.has(status)) continue
      const output = outputOf(invocation)
      const master = MASTER_LINE.exec(output)?.[1]
      if (status === 'Success' && /^PONG$/m.test(output) && master) return {ok: true, detail: master}
      return {ok: false, detail: `${status} on ${instanceId}: ${output || invocation.StatusDetails || 'no output'}`}
    }
    return {ok: false, detail: `no answer from ${instanceId} within ${POLL_BUDGET_MS / 60_000} minutes (command ${commandId}, ${status})`}
  }

  return {
    /** Asks the nodes in turn until one answers: a node that failed to start or was replaced does not fail the check. */
    async masterReachable(instanceIds) {
      if (instanceIds.length === 0) return {ok: false, detail: 'no running Redis instance to ask'}
      const answers: string[] = []
      for (const instanceId of instanceIds) {
        const answer = await ask(instanceId)
        if (answer.ok) return answer
        answers.push(answer.detail)
      }
      return {ok: false, detail: answers.join('; ')}
    },
  }
}
