import {randomUUID} from 'node:crypto'
import {createRequire} from 'node:module'
import {MIN_AWS_TIMEOUT_MS} from '../core/config/schema.js'
import {InputError} from '../core/errors.js'
import type {AwsTarget, AwsTimeouts} from '../core/config/env.js'
import {nameFailure} from './failures.js'

export type {AwsTarget, AwsTimeouts}

/**
 * A connection to a regional endpoint takes well under a second, even through a VPN; a
 * control-plane call answers in a few seconds at worst (Cost Explorer's longest). So 3 s and
 * 15 s only cut attempts that are lost: with 8 attempts a dead endpoint fails in about two
 * minutes instead of hanging, and a slow but live one can be given longer in the config.
 */
export const DEFAULT_TIMEOUTS: Required<AwsTimeouts> = {connectTimeoutMs: 3_000, requestTimeoutMs: 15_000}

/** The env vars that override the timeouts for one run, e.g. during an incident on a slow network. */
export const TIMEOUT_VARIABLES = {connectTimeoutMs: 'FINTECH_AWS_CONNECT_TIMEOUT_MS', requestTimeoutMs: 'FINTECH_AWS_REQUEST_TIMEOUT_MS'} as const

/** Attempts per call, the first included. */
export const MAX_ATTEMPTS = 8

const {version} = createRequire(import.meta.url)('../../package.json') as {version: string}

function timeoutFromEnv(key: keyof AwsTimeouts, env: NodeJS.ProcessEnv): number | undefined {
  const variable = TIMEOUT_VARIABLES[key]
  const raw = env[variable]?.trim()
  if (!raw) return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < MIN_AWS_TIMEOUT_MS) throw new InputError(`${variable}=${raw}: give a whole number of milliseconds, at least ${MIN_AWS_TIMEOUT_MS}`)
  return value
}

/** The timeouts a client uses: the env var, else the config's, else the default. */
export function resolveTimeouts(target: AwsTarget, env: NodeJS.ProcessEnv = process.env): Required<AwsTimeouts> {
  const pick = (key: keyof AwsTimeouts) => timeoutFromEnv(key, env) ?? target.timeouts?.[key] ?? DEFAULT_TIMEOUTS[key]
  return {connectTimeoutMs: pick('connectTimeoutMs'), requestTimeoutMs: pick('requestTimeoutMs')}
}

/**
 * Settings every SDK client shares: the default credential chain (env, SSO, profiles,
 * container and instance roles) narrowed by --profile, adaptive retries for throttling,
 * AWS_ENDPOINT_URL for AWS-compatible endpoints, a user agent AWS support can grep, and
 * timeouts on the connection, the wait for an answer and a stalled body.
 */
export function clientSettings(target: AwsTarget) {
  const endpoint = process.env.AWS_ENDPOINT_URL || undefined
  const timeouts = resolveTimeouts(target)
  return {
    region: target.region,
    ...(target.profile ? {profile: target.profile} : {}),
    ...(endpoint ? {endpoint} : {}),
    retryMode: 'adaptive',
    maxAttempts: MAX_ATTEMPTS,
    customUserAgent: `fintech/${version}`,
    requestHandler: {
      connectionTimeout: timeouts.connectTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Without it the SDK only logs a warning when requestTimeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.requestTimeoutMs,
    },
  }
}

type Handler = (args: {input: never}) => Promise<{output: unknown}>
type CallContext = {clientName?: string; commandName?: string}

/** The part of an SDK client the factory needs: its middleware stack. */
interface SdkClient {
  middlewareStack: {
    add(middleware: (next: Handler, context: CallContext) => Handler, options: {step: 'initialize'; priority: 'high'; name: string}): void
  }
}

const withoutSuffix = (name: string | undefined, suffix: string) => (name ?? '').replace(new RegExp(`${suffix}$`), '') || 'AWS'

/**
 * An SDK client with the shared settings (plus `overrides`, e.g. S3's path-style addressing)
 * whose failures say which service and operation failed, with the HTTP status and the
 * attempts made. The naming runs outermost, so it sees the error after every retry.
 */
export function createClient<Client extends SdkClient, Args extends [] | [object]>(
  Client: new (...args: Args) => Client,
  target: AwsTarget,
  overrides: Partial<NonNullable<Args[0]>> = {},
): Client {
  const client = new Client(...([{...clientSettings(target), ...overrides}] as Args))
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args)
      } catch (error) {
        throw nameFailure(error, withoutSuffix(context.clientName, 'Client'), withoutSuffix(context.commandName, 'Command'))
      }
    },
    {step: 'initialize', priority: 'high', name: 'fintechFailureNaming'},
  )
  return client
}

/** Path-style addressing, because a custom endpoint (moto, LocalStack) rarely serves bucket sub-domains. */
export const usesCustomEndpoint = (): boolean => Boolean(process.env.AWS_ENDPOINT_URL)

/** An error that came back from a call the SDK sent more than once: an earlier attempt may have done the work. */
export const afterResend = (error: unknown): boolean => ((error as {$metadata?: {attempts?: number}}).$metadata?.attempts ?? 1) > 1

/**
 * A token for one logical call of an API that takes one (ClientToken, ClientRequestToken):
 * the SDK serializes a request once, so its own re-sends carry the same token and the service
 * takes them for the request it already has. It starts with a letter, as CloudFormation wants.
 */
export const idempotencyToken = (): string => `fintech-${randomUUID()}`
