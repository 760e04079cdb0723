import type {GetCommandInvocationCommandOutput} from '@aws-sdk/client-ssm'
import type {RedisProbe} from '../core/shutdown/api.js'
import {PROBE_DOCUMENT_PARAMETER, probeScript} from '../core/shutdown/redis-probe.js'
import {createClient, type AwsTarget} from './clients.js'

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

const FIRST_POLL_MS = 1000
const MAX_POLL_MS = 10_000
/** How long one probe waits for the node's answer before reporting none. */
const POLL_BUDGET_MS = 3 * 60_000
/** How long the script may run on the node; each redis-cli call answers in milliseconds. */
const SCRIPT_TIMEOUT_SECONDS = 60
const DONE = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled'])
/** The line the script prints before it pings the master Sentinel named. */
const MASTER_LINE = /^master (\S+)$/m

const wait = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

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
