import {InterruptedError, systemClock} from '../core/clock.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {executeShutdown, type ShutdownOutcome} from '../core/shutdown/execute.js'
import {nightOf, shouldRunScheduled} from '../core/shutdown/schedule.js'
import {renderShutdownOutcome, summarize} from '../ui/shutdown.js'
import {progressLines} from '../ui/terminal.js'
import {FintechCommand} from './base-command.js'
import {newRunId, openShutdownSession} from './shutdown.js'
import {stateBucketOf} from '../core/shutdown/scope.js'
import {withInterrupt} from './aws-session.js'

export type ShutdownResult = ShutdownOutcome & {runId?: string; stateBucket: string}

/** What `shutdown plan`, `stop` and `start` share: flags, guards, the run, the report. */
export abstract class ShutdownCommand extends FintechCommand {
  protected async execute(
    action: 'stop' | 'start',
    options: {env: string; dryRun: boolean; scheduled?: boolean; config: string; profile?: string; region?: string},
  ): Promise<ShutdownResult> {
    const loaded = this.readConfig(options.config)
    const env = this.resolveEnv(loaded, options.env, options)
    const now = systemClock.now()
    if (options.scheduled) {
      if (!env.config.schedule) throw new InputError(`--scheduled: ${options.env} has no schedule in ${loaded.file}`, `add environments.${options.env}.schedule, or run without --scheduled`)
      // Cron cannot express holidays, so the job fires on every working weekday and the calendar decides here, before any AWS call.
      const decision = shouldRunScheduled(env.config.schedule, action, now)
      if (!decision.run) {
        const stateBucket = stateBucketOf(loaded.config, env)
        const outcome: ShutdownOutcome = {env: options.env, action, dryRun: options.dryRun, newPeriod: false, results: [], skipped: [], unreadableRegions: [], nothingToDo: `not scheduled now: ${decision.reason}`}
        return this.deliver({text: renderShutdownOutcome(outcome, stateBucket), exitCode: ExitCode.ok, result: {...outcome, stateBucket}})
      }
    }
    const {target} = env
    const session = await openShutdownSession(loaded, env)
    const runId = newRunId()
    const outcome = await withInterrupt(({signal}) =>
      executeShutdown({
        action,
        apis: session.apis,
        clock: systemClock,
        signal,
        audit: session.audit,
        runId,
        by: session.caller.arn,
        polling: loaded.config.polling,
        waitMinutes: loaded.config.shutdown.waitMinutes,
        progress: progressLines((line) => this.note(line)),
        scope: session.scope,
        account: env.account,
        region: target.region,
        night: env.config.schedule ? nightOf(env.config.schedule, now) : now.toISOString().slice(0, 10),
        dryRun: options.dryRun,
        lockTtlMinutes: loaded.config.shutdown.lockTtlMinutes,
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof InterruptedError)) throw error
      throw new FintechError(
        `interrupted: the ${action} of ${options.env} stopped waiting; what was sent is in the manifest and the audit log`,
        ExitCode.interrupted,
        `run fintech shutdown ${action} --env ${options.env} again to finish it`,
      )
    })
    const counts = summarize(outcome.results)
    const unread = outcome.unreadableRegions.map(({region}) => region)
    if (!options.dryRun && !outcome.nothingToDo) {
      session.audit.record({
        env: options.env,
        action: `shutdown-${action}`,
        result: counts.failed + counts.skipped + unread.length > 0 ? 'failed' : 'ok',
        detail: `run ${runId}: ${counts.done} done, ${counts.failed} failed, ${counts.skipped} held back, ${counts.unchanged} unchanged${unread.length > 0 ? `; not read: ${unread.join(', ')}` : ''}`,
      })
    }
    // A region that could not be read leaves the run (or the plan) incomplete, dry or not.
    const partial = (!options.dryRun && counts.failed + counts.skipped > 0) || unread.length > 0
    return this.deliver({
      // The table of a big env costs more CPU than the run itself (cli-table3 is superlinear): never for --json.
      text: this.jsonEnabled() ? '' : renderShutdownOutcome(outcome, session.stateBucket),
      exitCode: partial ? ExitCode.partial : ExitCode.ok,
      result: {...outcome, ...(options.dryRun ? {} : {runId}), stateBucket: session.stateBucket},
    })
  }
}
