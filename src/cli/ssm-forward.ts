import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'
import type {AwsTarget} from '../aws/clients.js'
import {ExitCode, FintechError} from '../core/errors.js'
import {addressOf, type RedisEndpoint} from '../core/redis/api.js'
import {freeLocalPort} from './free-port.js'

export interface ForwardTarget {
  /** The instance the session runs through (the node itself). */
  instanceId: string
  /** The private address to reach from it. */
  endpoint: RedisEndpoint
}

export interface Forwards {
  /** Private address → the local port that reaches it. */
  map: Map<string, RedisEndpoint>
  close(): void
}

const SESSION_READY = /Waiting for connections/
const START_TIMEOUT_MS = 30_000

export function onPath(binary: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/**
 * One `aws ssm start-session` per private address (AWS-StartPortForwardingSessionToRemoteHost),
 * each on a free local port, for networks the CLI has no route into. The AWS CLI does the
 * forwarding through the Session Manager plugin, so both must be installed.
 */
export async function startSsmForwards(targets: ForwardTarget[], aws: AwsTarget, env: NodeJS.ProcessEnv = process.env): Promise<Forwards> {
  const missing = ['aws', 'session-manager-plugin'].filter((binary) => !onPath(binary, env.PATH))
  if (missing.length > 0) {
    throw new FintechError(
      `--via-ssm needs ${missing.join(' and ')} on PATH to forward ports through SSM Session Manager; nothing was started`,
      ExitCode.failed,
      'install the AWS CLI v2 and the Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html), or reach the nodes directly (VPN, bastion) without --via-ssm',
    )
  }
  const {execa} = await import('execa')
  const sessions: Array<{kill(): boolean}> = []
  const map = new Map<string, RedisEndpoint>()
  const close = () => {
    for (const session of sessions) session.kill()
  }
  try {
    for (const {instanceId, endpoint} of targets) {
      const localPort = await freeLocalPort()
      const session = execa(
        'aws',
        [
          'ssm', 'start-session',
          '--target', instanceId,
          '--document-name', 'AWS-StartPortForwardingSessionToRemoteHost',
          '--parameters', JSON.stringify({host: [endpoint.host], portNumber: [String(endpoint.port)], localPortNumber: [String(localPort)]}),
          '--region', aws.region,
          ...(aws.profile ? ['--profile', aws.profile] : []),
        ],
        {env, reject: false, buffer: false},
      )
      sessions.push(session)
      await new Promise<void>((ready, fail) => {
        let stderr = ''
        const timer = setTimeout(() => fail(new FintechError(`SSM session to ${addressOf(endpoint)} through ${instanceId} did not open within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)
        session.stdout?.on('data', (chunk: Buffer) => {
          if (SESSION_READY.test(chunk.toString())) {
            clearTimeout(timer)
            ready()
          }
        })
        session.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
        void session.then((result) => {
          clearTimeout(timer)
          fail(new FintechError(`SSM session to ${addressOf(endpoint)} through ${instanceId} ended (exit ${result.exitCode}): ${stderr.trim() || 'no message'}`))
        })
      })
      map.set(addressOf(endpoint), {host: '127.0.0.1', port: localPort})
    }
    return {map, close}
  } catch (error) {
    close()
    throw error
  }
}
