import type {AuditEntry} from '../core/audit/audit-log.js'
import type {FailoverEvent, FailoverResult} from '../core/redis/failover.js'

const seconds = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`)

/** One line per failover event, as `redis failover` and `redis patch` print them. */
export function describeFailoverEvent(event: FailoverEvent): string {
  switch (event.kind) {
    case 'waiting-for-sync': return `waiting for ${event.replicas.join(', ')} to be in sync`
    case 'excluded': return `keeping ${event.replica} out of the election (${event.why}): replica-priority 0 until the failover ends`
    case 'paused': return `writes paused on ${event.primary}`
    case 'caught-up': return `every candidate replica reached offset ${event.offset}`
    case 'failover-sent': return `SENTINEL FAILOVER sent to ${event.sentinel}`
    case 'promoted': return `the Sentinels agree: ${event.primary} is the primary`
    case 'unpaused': return `old primary is a replica; writes released after ${seconds(event.pausedMs)}`
    case 'released': return `writes on ${event.primary} released after ${seconds(event.pausedMs)}`
    case 'interrupted':
      switch (event.then) {
        case 'unwind': return 'Ctrl-C: SENTINEL FAILOVER was not sent yet, so the failover unwinds: writes released, priorities given back, the primary stays'
        case 'finish': return 'Ctrl-C: SENTINEL FAILOVER was sent and cannot be taken back, so the failover is finished: writes stay paused only until the old primary is the new one\'s replica'
        case 'skip-checks': return 'Ctrl-C: the primary has moved and writes are released; the checks after the failover are skipped'
      }
  }
}

/** The report of a failover Ctrl-C stopped: which way it ended, and where the tier is. */
export function interruptedFailoverReport(result: FailoverResult): {text: string; audit: {result: AuditEntry['result']; detail: string}} {
  if (result.interrupted?.outcome === 'finished') {
    const skipped = result.interrupted.skipped
    return {
      text: [
        `Interrupted after SENTINEL FAILOVER, which cannot be taken back: finished. ${result.oldPrimary} -> ${result.newPrimary} (the old primary is its replica)`,
        `Writes paused: ${seconds(result.writePauseMs)} (Sentinel's promotion: ${seconds(result.promotionMs)})   whole failover: ${seconds(result.totalMs)}`,
        ...(skipped.length > 0 ? [`  not waited for: ${skipped.join('; ')} (see fintech redis status)`] : []),
      ].join('\n'),
      audit: {result: 'ok', detail: `interrupted after SENTINEL FAILOVER: finished; ${result.oldPrimary} -> ${result.newPrimary}; writes paused ${result.writePauseMs} ms (promotion ${result.promotionMs} ms)${skipped.length > 0 ? `; not waited for: ${skipped.join('; ')}` : ''}`},
    }
  }
  const paused = result.writePauseMs === undefined ? 'writes were never paused' : `writes were paused ${seconds(result.writePauseMs)} and are released`
  return {
    text: [
      `Interrupted before SENTINEL FAILOVER: unwound. ${result.oldPrimary} is still the primary; ${paused}.`,
      ...(result.excluded.length > 0 ? [`  ${result.excluded.map((entry) => entry.replica).join(', ')}: replica-priority as it was before the failover`] : []),
    ].join('\n'),
    audit: {result: 'no-changes', detail: `interrupted before SENTINEL FAILOVER: unwound; ${result.oldPrimary} is still the primary; ${result.writePauseMs === undefined ? 'writes never paused' : `writes paused ${result.writePauseMs} ms`}`},
  }
}
