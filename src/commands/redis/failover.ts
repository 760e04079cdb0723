import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {openRedisTarget, redisFlags, withFailoverInterrupt} from '../../cli/redis-flow.js'
import type {AuditEntry} from '../../core/audit/audit-log.js'
import {ExitCode, FintechError} from '../../core/errors.js'
import {DEFAULT_FAILOVER, runFailover, type FailoverResult} from '../../core/redis/failover.js'
import {DEFAULT_LIMITS} from '../../core/redis/status.js'
import {createApprover} from '../../ui/approval.js'
import {describeFailoverEvent, interruptedFailoverReport} from '../../ui/redis-failover.js'
import {yesFlag} from '../../cli/flags.js'

const seconds = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`)

export default class RedisFailover extends FintechCommand {
  static summary = 'Planned failover of the Redis primary that loses no acknowledged write.'

  static description = [
    'Pre-checks (Sentinels agree, quorum, no failover in progress, a replica in sync), then: replicas not in sync get replica-priority 0',
    'for the failover (Sentinel picks among the rest), writes are paused on the primary (CLIENT PAUSE WRITE), every candidate reaches the',
    'primary\'s offset, SENTINEL FAILOVER, the Sentinels agree on the new primary, the old primary becomes its replica, writes are released.',
    'Prints how long writes were paused and the whole duration. On prod it asks for approval (--yes in advance).',
    'Ctrl-C before SENTINEL FAILOVER unwinds (writes released, the primary stays); after it, finishes the failover (Sentinel cannot take it back)',
    'and skips the checks that follow; either way it says which, writes the audit line and exits 130.',
  ].join(' ')

  static examples = ['<%= config.bin %> redis failover --env dev --dry-run', '<%= config.bin %> redis failover --env prod --yes --json']

  static flags = {
    ...redisFlags,
    'dry-run': Flags.boolean({description: 'run the pre-checks only and change nothing', default: false}),
    yes: yesFlag('approve a failover in a protected env (prod) without a prompt'),
    'max-lag-bytes': Flags.integer({description: 'a replica further behind is not a candidate', default: DEFAULT_LIMITS.maxLagBytes, min: 0}),
    'sync-timeout': Flags.integer({description: 'seconds to wait for lagging replicas to resync before leaving them out', default: DEFAULT_FAILOVER.syncTimeoutMs / 1000, min: 0}),
    'pause-budget': Flags.integer({description: 'the CLIENT PAUSE timeout in seconds: how long a crashed CLI could leave writes paused; renewed while Sentinel promotes', default: DEFAULT_FAILOVER.pauseBudgetMs / 1000, min: 1}),
    timeout: Flags.integer({description: 'seconds to wait for the promotion and for the old primary to resync', default: DEFAULT_FAILOVER.promoteTimeoutMs / 1000, min: 1}),
  }

  async run(): Promise<FailoverResult> {
    const {flags} = await this.parse(RedisFailover)
    const target = await openRedisTarget(flags, (path) => this.readConfig(path))
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
        return this.deliver({text: lines.join('\n'), exitCode: ExitCode.ok, result: checks})
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
              this.note(describeFailoverEvent(event))
            }),
          {
            pauseBudgetMs: options.pauseBudgetMs,
            note: (text) => this.note(text),
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
        return this.deliver({text: report.text, exitCode: ExitCode.interrupted, result})
      }
      record('ok', `${result.oldPrimary} -> ${result.newPrimary}; writes paused ${result.writePauseMs} ms (promotion ${result.promotionMs} ms); total ${result.totalMs} ms`)
      const text = [
        `Failed over ${target.masterName}: ${result.oldPrimary} -> ${result.newPrimary} (the old primary is its replica)`,
        `Writes paused: ${seconds(result.writePauseMs)} (Sentinel's promotion: ${seconds(result.promotionMs)})   whole failover: ${seconds(result.totalMs)}${result.syncWaitMs ? `   (waited ${seconds(result.syncWaitMs)} for replicas to resync first)` : ''}`,
        ...result.excluded.map((entry) => `  left out of the election: ${entry.replica} (${entry.why})`),
      ].join('\n')
      return this.deliver({text, exitCode: ExitCode.ok, result})
    } finally {
      target.close()
    }
  }
}
