import {setMaxListeners} from 'node:events'
import type {AwsTarget} from '../aws/clients.js'
import {auditLogPath, jsonlAuditSink, type AuditSink} from '../core/audit/audit-log.js'
import type {ResolvedEnv} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import type {CallerIdentity} from '../core/deploy/api.js'
import {ExitCode, FintechError} from '../core/errors.js'
import {assertAccount} from '../core/guard/account.js'

/** The SDK found no credentials at all, as opposed to credentials AWS refused. */
export class MissingCredentialsError extends FintechError {
  /** The same error, its hint also naming --offline: only for a command that has that flag. */
  offeringOffline(): MissingCredentialsError {
    return new MissingCredentialsError(this.message, this.exitCode, `${this.hint}; --offline plans without AWS`)
  }
}

const isMissingCredentials = (error: unknown): boolean =>
  (error as {name?: string}).name === 'CredentialsProviderError' || /could not load credentials/i.test((error as Error).message ?? '')

/** Checks the caller is in the env's account and opens the audit log in the caller's name. */
export async function openGuardedSession(
  loaded: LoadedConfig,
  env: Pick<ResolvedEnv, 'name' | 'account'>,
  target: AwsTarget,
): Promise<{caller: CallerIdentity; audit: AuditSink}> {
  const {createIdentityApi} = await import('../aws/sts.js')
  const caller = await assertAccount(await createIdentityApi(target), env.name, env.account).catch((error: unknown) => {
    if (!isMissingCredentials(error)) throw error
    throw new MissingCredentialsError(
      `no AWS credentials found for ${env.name} (account ${env.account}${target.profile ? `, profile ${target.profile}` : ''})`,
      ExitCode.failed,
      'sign in (e.g. aws sso login), or pass --profile',
    )
  })
  const audit = jsonlAuditSink(auditLogPath(loaded.config.audit.path), () => caller.arn)
  return {caller, audit}
}

export interface InterruptOptions {
  /** At the first Ctrl-C, once the signal has fired: tell the user what happens now. */
  onFirst?: () => void
  /** At the second Ctrl-C, just before the process exits: record what is left unanswered. */
  onSecond?: () => void
  /**
   * Why a later Ctrl-C must not exit now (e.g. Redis writes paused until the failover under way
   * releases them), or undefined when it may: the reason is printed instead of exiting.
   */
  holdExit?: () => string | undefined
}

/**
 * Runs `work` with an AbortSignal that the first Ctrl-C fires, so the work starts nothing new
 * and winds down. A second Ctrl-C exits at once with 130, without waiting for calls in flight.
 * `interrupt` is a press too, for a prompt that reads Ctrl-C as a key instead of a signal.
 */
export async function withInterrupt<T>(
  work: (control: {signal: AbortSignal; interrupt: () => void}) => Promise<T>,
  options: InterruptOptions = {},
): Promise<T> {
  const controller = new AbortController()
  // Every read, wait and sleep of a run listens to this one signal, many of them at once.
  setMaxListeners(0, controller.signal)
  const interrupt = () => {
    if (!controller.signal.aborted) {
      controller.abort()
      options.onFirst?.()
      return
    }
    const held = options.holdExit?.()
    if (held) {
      process.stderr.write(`Ctrl-C again: not exiting yet: ${held}\n`)
      return
    }
    options.onSecond?.()
    process.stderr.write('Ctrl-C again: exiting now, without waiting for the calls in flight.\n')
    process.exit(ExitCode.interrupted)
  }
  process.on('SIGINT', interrupt)
  try {
    return await work({signal: controller.signal, interrupt})
  } finally {
    process.removeListener('SIGINT', interrupt)
  }
}
