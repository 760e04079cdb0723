import type {AuditEntry} from '../core/audit/audit-log.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, FintechError} from '../core/errors.js'
import {runFailover, type FailoverResult} from '../core/redis/failover.js'
import {DEFAULT_LIMITS} from '../core/redis/status.js'
import {createApprover} from '../ui/terminal.js'
import {describeFailoverEvent, interruptedFailoverReport} from '../ui/redis-failover.js'
import type {CommandIO, Outcome} from './command-io.js'
import {openRedisTarget, withFailoverInterrupt, type RedisFlags} from './redis.js'

export {DEFAULT_FAILOVER, type FailoverResult} from '../core/redis/failover.js'
export {DEFAULT_LIMITS} from '../core/redis/status.js'

const seconds = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`)

/** `fintech redis failover`: a planned failover that loses no acknowledged write (dry run: the pre-checks). */
export async function redisFailoverCommand(
  flags: RedisFlags & {'dry-run': boolean; yes: boolean; 'max-lag-bytes': number; 'sync-timeout': number; 'pause-budget': number; timeout: number},
  readConfig: (path: string) => LoadedConfig,
  io: CommandIO,
): Promise<Outcome<FailoverResult>> {
  const target = await openRedisTarget(flags, readConfig)
  const record = (result: AuditEntry['result'], detail: string) =>
    target.audit.record({env: target.env ?? 'sentinel', action: 'redis failover', resource: `${target.masterName}@${target.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`, result, detail})
  try {
    const options = {
      limits: {...DEFAULT_LIMITS, maxLagBytes: flags['max-lag-bytes']},
      syncTimeoutMs: flags['sync-timeout'] * 1000,
      pauseBudgetMs: flags['pause-budget'] * 1000,
      promoteTimeoutMs: flags.timeout * 1000,
    }
    const checks = await runFailover(target.connector, target.sentinels, target.masterName, {...options, dryRun: true})
    if (flags['dry-run']) {
      const lines = [`Dry run: failover of ${target.masterName} (primary ${checks.oldPrimary}) would proceed.`, ...checks.preChecks.map((entry) => `  ${entry.ok ? 'ok ' : 'NO '} ${entry.check}: ${entry.detail}`)]
      if (checks.excluded.length > 0) lines.push(`  would wait up to ${flags['sync-timeout']} s for ${checks.excluded.map((entry) => `${entry.replica} (${entry.why})`).join(', ')}, then leave them out`)
      return {text: lines.join('\n'), exitCode: ExitCode.ok, result: checks}
    }
    if (target.protected) {
      const approver = createApprover({yes: flags.yes, input: process.stdin, output: process.stderr})
      const answer = await approver.approve({reasons: [`${target.env} is protected: writes to ${checks.oldPrimary} pause during the failover`], question: `Fail over Redis ${target.masterName} in ${target.env}?`, stackName: target.stack?.stackName ?? target.masterName})
      if (!answer.approved) throw new FintechError(`failover of ${target.masterName} in ${target.env} not approved: ${answer.why}; nothing was changed`, ExitCode.usage)
    }
    let result: FailoverResult
    try {
      result = await withFailoverInterrupt(
        ({signal, observe}) =>
          runFailover(target.connector, target.sentinels, target.masterName, {...options, dryRun: false, signal}, (event) => {
            observe(event)
            io.note(describeFailoverEvent(event))
          }),
        {
          pauseBudgetMs: options.pauseBudgetMs,
          note: (text) => io.note(text),
          exitNow: () => {
            record('in-progress', 'Ctrl-C twice: the CLI left before the failover reported, with writes not paused; see fintech redis status')
            process.exit(ExitCode.interrupted)
          },
        },
      )
    } catch (error) {
      record('failed', (error as Error).message)
      throw error
    }
    if (result.interrupted) {
      const report = interruptedFailoverReport(result)
      record(report.audit.result, report.audit.detail)
      return {text: report.text, exitCode: ExitCode.interrupted, result}
    }
    record('ok', `${result.oldPrimary} -> ${result.newPrimary}; writes paused ${result.writePauseMs} ms (promotion ${result.promotionMs} ms); total ${result.totalMs} ms`)
    const text = [
      `Failed over ${target.masterName}: ${result.oldPrimary} -> ${result.newPrimary} (the old primary is its replica)`,
      `Writes paused: ${seconds(result.writePauseMs)} (Sentinel's promotion: ${seconds(result.promotionMs)})   whole failover: ${seconds(result.totalMs)}${result.syncWaitMs ? `   (waited ${seconds(result.syncWaitMs)} for replicas to resync first)` : ''}`,
      ...result.excluded.map((entry) => `  left out of the election: ${entry.replica} (${entry.why})`),
    ].join('\n')
    return {text, exitCode: ExitCode.ok, result}
  } finally {
    target.close()
  }
}
