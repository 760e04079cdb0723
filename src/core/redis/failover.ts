import {InterruptedError, pollUntil, systemClock, type Clock} from '../clock.js'
import {ExitCode, FintechError} from '../errors.js'
import {pairs, parseEndpoint, parseInfo, type RedisConnection, type RedisConnector, type RedisEndpoint} from './api.js'
import {giveBackPriorities, waitUntilSentinelsSeePriorities, type HeldReplica} from './priority.js'
import {readRedisStatus, type HealthLimits, type RedisStatus, DEFAULT_LIMITS} from './status.js'

export interface FailoverOptions {
  limits: HealthLimits
  /** How long to wait for every replica to be in sync before excluding the ones that are not. */
  syncTimeoutMs: number
  /**
   * The CLIENT PAUSE timeout, so a crashed CLI leaves writes paused this long at most; renewed
   * while Sentinel promotes, which bounds the whole pause by promoteTimeoutMs.
   */
  pauseBudgetMs: number
  /** How long to wait for Sentinel to promote and everyone to agree, and for the old primary to resync. */
  promoteTimeoutMs: number
  dryRun: boolean
  /**
   * Ctrl-C. Until SENTINEL FAILOVER is sent, the failover unwinds: writes released, priorities
   * given back, the primary stays. Once it is sent Sentinel cannot take it back, so the failover
   * is finished: writes stay paused only until the old primary is the new one's replica, and the
   * checks after that, which no client waits on, are skipped.
   */
  signal?: AbortSignal
}

/**
 * How long the candidates may take to reach the primary's offset once writes are paused. They
 * were in sync a moment before (link up, lag within the limits), so this is a round trip or two;
 * clients wait through it, so a longer catch-up abandons the failover instead. With it, writes
 * are paused for Sentinel's promotion plus well under a second.
 */
export const CATCH_UP_LIMIT_MS = 500

export const DEFAULT_FAILOVER: FailoverOptions = {limits: DEFAULT_LIMITS, syncTimeoutMs: 60_000, pauseBudgetMs: 20_000, promoteTimeoutMs: 60_000, dryRun: false}

export type FailoverEvent =
  | {kind: 'waiting-for-sync'; replicas: string[]}
  | {kind: 'excluded'; replica: string; why: string}
  | {kind: 'paused'; primary: string}
  | {kind: 'caught-up'; offset: number}
  | {kind: 'failover-sent'; sentinel: string}
  | {kind: 'promoted'; primary: string}
  | {kind: 'unpaused'; pausedMs: number}
  /** Ctrl-C, and what the failover does about it given how far it is. */
  | {kind: 'interrupted'; then: 'unwind' | 'finish' | 'skip-checks'}
  /** Writes released without a failover having moved the primary: an error, or Ctrl-C before SENTINEL FAILOVER. */
  | {kind: 'released'; primary: string; pausedMs: number}

export interface FailoverResult {
  masterName: string
  dryRun: boolean
  oldPrimary: string
  /** Replicas Sentinel may promote: every one in sync with the primary. */
  candidates: string[]
  /** Replicas kept out of the election (replica-priority 0 for the failover), and why. */
  excluded: Array<{replica: string; why: string}>
  newPrimary?: string
  /** How long writes were paused on the old primary. */
  writePauseMs?: number
  /** From SENTINEL FAILOVER until the Sentinels agreed on the promoted replica and it answered as master: Sentinel's part, which writes wait through. */
  promotionMs?: number
  /**
   * Ctrl-C stopped it. unwound: before SENTINEL FAILOVER; the primary did not move. finished:
   * after it; the primary moved, and `skipped` names the checks after the pause it did not wait for.
   */
  interrupted?: {outcome: 'unwound' | 'finished'; skipped: string[]}
  /** How long the command waited for replicas to resync before starting. */
  syncWaitMs: number
  totalMs: number
  preChecks: Array<{check: string; ok: boolean; detail: string}>
}

/** A failover refused or abandoned; nothing is left paused. */
export class FailoverError extends FintechError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.failed, hint)
  }
}

const endpointOf = (address: string) => parseEndpoint(address, 'address')

function inSync(replica: RedisStatus['replicas'][number], primary: string, limits: HealthLimits): boolean {
  return replica.reachable && replica.role === 'slave' && replica.following === primary && replica.link === 'up' &&
    (replica.lagBytes ?? Infinity) <= limits.maxLagBytes && (replica.lagSeconds ?? Infinity) <= limits.maxLagSeconds && replica.priority !== 0
}

/** Sentinel's errors for SENTINEL FAILOVER, in words an engineer at 3 a.m. can act on. */
function explainSentinelError(error: unknown): FailoverError {
  const text = (error as Error).message ?? String(error)
  if (/INPROG/.test(text)) return new FailoverError(`Sentinel refused: a failover is already in progress (${text})`, 'wait for it to finish, then check fintech redis status')
  if (/NOGOODSLAVE/.test(text)) {
    return new FailoverError(`Sentinel refused: no replica it may promote (${text})`, 'Sentinel promotes only replicas it sees connected, recently reported and with replica-priority above 0; check fintech redis status')
  }
  return new FailoverError(`SENTINEL FAILOVER failed: ${text}`)
}

/**
 * A planned failover that loses no acknowledged write.
 *
 * Sentinel picks the replica it promotes; we cannot name it. So every replica Sentinel may pick
 * must hold every acknowledged write: replicas not in sync (after waiting up to syncTimeoutMs for
 * them, e.g. an old primary still resyncing after the last failover) get replica-priority 0 for
 * the duration, and the command waits until the Sentinel it asks sees that. Then writes are
 * paused on the primary (CLIENT PAUSE WRITE, with a timeout as a backstop), every candidate's
 * offset must reach the primary's, SENTINEL FAILOVER runs, and once the Sentinels agree on the
 * new primary and it answers ROLE master, the old primary is pointed at it (what Sentinel would
 * do some seconds later) and its clients dropped, so the pause ends as early as it safely can.
 * Writes stay paused until the old primary is a replica: a write it acknowledged afterwards
 * would be lost. Every error path releases the pause and restores the priorities, and says
 * when it could not. Ctrl-C (options.signal) unwinds or finishes, see FailoverOptions.signal.
 */
export async function runFailover(
  connector: RedisConnector,
  sentinels: RedisEndpoint[],
  masterName: string,
  options: FailoverOptions = DEFAULT_FAILOVER,
  progress: (event: FailoverEvent) => void = () => undefined,
  clock: Clock = systemClock,
): Promise<FailoverResult> {
  const context: FailoverContext = {connector, sentinels, masterName, options, progress, clock, started: clock.now().getTime()}
  const preChecks: FailoverResult['preChecks'] = []
  const initial = await readRedisStatus(connector, sentinels, masterName, options.limits)
  const primary = checkBeforeAnyChange(initial, preChecks)
  const result: FailoverResult = {masterName, dryRun: options.dryRun, oldPrimary: primary, candidates: [], excluded: [], syncWaitMs: 0, totalMs: 0, preChecks}
  // Until something changes, Ctrl-C is noticed between status reads; from the first change on, a listener reports it at once.
  const status = await waitForReplicasInSync(context, initial, primary, result)
  if (!status) return stopBeforeAnyChange(context, result)
  chooseCandidates(status, primary, options, result)
  if (options.dryRun) return finished(context, result)
  if (options.signal?.aborted) return stopBeforeAnyChange(context, result)
  const leader = status.sentinels.find((sentinel) => sentinel.reachable)!
  return new FailoverRun(context, result, primary, leader.address).run()
}

/** What every step of a failover works with. */
interface FailoverContext {
  connector: RedisConnector
  sentinels: RedisEndpoint[]
  masterName: string
  options: FailoverOptions
  progress: (event: FailoverEvent) => void
  clock: Clock
  started: number
}

function finished(context: FailoverContext, result: FailoverResult): FailoverResult {
  result.totalMs = context.clock.now().getTime() - context.started
  return result
}

function unwound(context: FailoverContext, result: FailoverResult): FailoverResult {
  result.interrupted = {outcome: 'unwound', skipped: []}
  return finished(context, result)
}

function stopBeforeAnyChange(context: FailoverContext, result: FailoverResult): FailoverResult {
  context.progress({kind: 'interrupted', then: 'unwind'})
  return unwound(context, result)
}

/** The pre-checks, recorded in `preChecks`; returns the primary's address, or throws when one failed. */
function checkBeforeAnyChange(status: RedisStatus, preChecks: FailoverResult['preChecks']): string {
  const check = (name: string, ok: boolean, detail: string) => preChecks.push({check: name, ok, detail})
  const allAnswer = status.sentinels.every((sentinel) => sentinel.reachable)
  check('sentinels agree', status.sentinelsAgree && allAnswer, status.sentinels.map((sentinel) => `${sentinel.address}: ${sentinel.reachable ? sentinel.master : 'no answer'}`).join(', '))
  const quorumOk = status.sentinels.filter((sentinel) => sentinel.reachable).every((sentinel) => sentinel.quorum?.ok)
  check('quorum', quorumOk && allAnswer, status.sentinels.map((sentinel) => sentinel.quorum?.detail ?? sentinel.error ?? '').join('; '))
  const inProgress = status.sentinels.some((sentinel) => sentinel.failoverInProgress)
  check('no failover in progress', !inProgress, status.sentinels.map((sentinel) => `${sentinel.address}: ${sentinel.flags ?? 'no answer'}`).join(', '))
  const primary = status.primary
  check('primary answers as master', Boolean(primary?.reachable && primary.role === 'master'), primary ? `${primary.address}: ${primary.reachable ? primary.role : primary.error}` : 'no primary named')

  const failed = preChecks.filter((entry) => !entry.ok)
  if (failed.length > 0 || !primary) {
    throw new FailoverError(`pre-checks failed, nothing was changed: ${failed.map((entry) => `${entry.check} (${entry.detail})`).join('; ')}`, inProgress ? 'wait for the running failover to finish' : 'see fintech redis status')
  }
  return primary.address
}

const laggingReplicas = (status: RedisStatus, primary: string, limits: HealthLimits) => status.replicas.filter((replica) => !inSync(replica, primary, limits))

/**
 * Replicas resyncing (e.g. the old primary right after the last failover) get up to
 * syncTimeoutMs to catch up; those still lagging then are excluded, not waited for. Returns the
 * last status read, or undefined on Ctrl-C.
 */
async function waitForReplicasInSync(context: FailoverContext, initial: RedisStatus, primary: string, result: FailoverResult): Promise<RedisStatus | undefined> {
  const {connector, sentinels, masterName, options, clock} = context
  let status = initial
  if (laggingReplicas(status, primary, options.limits).length === 0 || options.dryRun) return status
  context.progress({kind: 'waiting-for-sync', replicas: laggingReplicas(status, primary, options.limits).map((replica) => replica.address)})
  const waitStart = clock.now().getTime()
  while (laggingReplicas(status, primary, options.limits).length > 0 && clock.now().getTime() - waitStart < options.syncTimeoutMs) {
    if (options.signal?.aborted) return undefined
    await clock.sleep(200)
    status = await readRedisStatus(connector, sentinels, masterName, options.limits)
    if (status.primary?.address !== primary) throw new FailoverError(`the primary changed from ${primary} to ${status.primary?.address} while waiting: someone else failed over`)
  }
  result.syncWaitMs = clock.now().getTime() - waitStart
  return status
}

/** The replicas Sentinel may promote (in sync) and the ones kept out of its election, into `result`; throws when there is no candidate. */
function chooseCandidates(status: RedisStatus, primary: string, options: FailoverOptions, result: FailoverResult): void {
  const candidates = status.replicas.filter((replica) => inSync(replica, primary, options.limits)).map((replica) => replica.address)
  const excluded = laggingReplicas(status, primary, options.limits).map((replica) => ({
    replica: replica.address,
    why: !replica.reachable ? 'does not answer' : replica.priority === 0 ? 'replica-priority 0' : replica.link !== 'up' ? 'link down' : `lags ${replica.lagBytes} bytes, ${replica.lagSeconds} s`,
  }))
  result.preChecks.push({check: 'a replica in sync', ok: candidates.length > 0, detail: candidates.length > 0 ? candidates.join(', ') : 'none: every replica is down, lagging or has replica-priority 0'})
  result.candidates = candidates
  result.excluded = excluded
  if (candidates.length === 0) {
    throw new FailoverError(`no replica is in sync with ${primary}${options.dryRun ? '' : ` after ${Math.round(result.syncWaitMs / 1000)} s`}: NOGOODSLAVE — nothing was changed`, 'bring a replica back in sync (fintech redis status shows each link and lag)')
  }
}

/** The changing part of a failover, one step a method; wrapUp releases what the steps took on every way out. */
class FailoverRun {
  private readonly held: HeldReplica[] = []
  private readonly open: RedisConnection[] = []
  private oldPrimary: RedisConnection | undefined
  private pausedAt: number | undefined
  // Until SENTINEL FAILOVER is sent, Ctrl-C unwinds; once sent, Sentinel cannot take it back.
  private phase: Extract<FailoverEvent, {kind: 'interrupted'}>['then'] = 'unwind'

  constructor(
    private readonly context: FailoverContext,
    private readonly result: FailoverResult,
    private readonly primary: string,
    private readonly leader: string,
  ) {}

  async run(): Promise<FailoverResult> {
    const {signal} = this.context.options
    const onInterrupt = () => this.context.progress({kind: 'interrupted', then: this.phase})
    signal?.addEventListener('abort', onInterrupt, {once: true})
    let failure: unknown
    try {
      await this.excludeLaggingReplicas()
      const {candidates, sentinel} = await this.pauseWrites()
      await this.waitForCandidatesToCatchUp(candidates)
      const sentAt = await this.sendFailover(sentinel)
      const promoted = await this.waitForPromotion(sentAt)
      await this.releaseWrites(promoted)
      await this.verify(promoted)
    } catch (error) {
      failure = error
    }
    signal?.removeEventListener('abort', onInterrupt)
    return this.wrapUp(failure)
  }

  private readonly unwindIfInterrupted = () => {
    if (this.phase === 'unwind' && this.context.options.signal?.aborted) throw new InterruptedError()
  }

  private async connect(address: string): Promise<RedisConnection> {
    const connection = await this.context.connector.connect(endpointOf(address))
    this.open.push(connection)
    return connection
  }

  /** replica-priority 0 on the replicas not in sync, until the Sentinel we ask sees it. */
  private async excludeLaggingReplicas(): Promise<void> {
    const {progress, clock, options, masterName} = this.context
    const {excluded} = this.result
    for (const {replica, why} of excluded) {
      this.unwindIfInterrupted()
      progress({kind: 'excluded', replica, why})
      const node = await this.connect(replica).catch(() => undefined)
      if (!node) continue
      const priority = pairs(await node.call('CONFIG', 'GET', 'replica-priority'))['replica-priority'] ?? '100'
      if (priority === '0') continue
      await node.call('CONFIG', 'SET', 'replica-priority', '0')
      this.held.push({replica, priority})
    }
    if (excluded.length === 0) return
    // Sentinel reads replica-priority from INFO every 10 s: wait until the one we ask has seen it.
    const sentinel = await this.connect(this.leader)
    await waitUntil(clock, options.promoteTimeoutMs, `Sentinel ${this.leader} to see the excluded replicas out of the election`, async () => {
      const known = ((await sentinel.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairs)
      const allOut = excluded.every(({replica}) => {
        const entry = known.find((candidate) => `${candidate.ip}:${candidate.port}` === replica)
        return !entry || entry['slave-priority'] === '0' || /s_down|disconnected/.test(entry.flags ?? '')
      })
      return allOut ? true : undefined
    }, this.unwindIfInterrupted)
  }

  /** Connects to everyone the next steps need first, so that writes are paused as briefly as can be. */
  private async pauseWrites(): Promise<{candidates: RedisConnection[]; sentinel: RedisConnection}> {
    const {options, clock, progress} = this.context
    const oldPrimary = await this.connect(this.primary)
    this.oldPrimary = oldPrimary
    const candidates = await Promise.all(this.result.candidates.map((address) => this.connect(address)))
    const sentinel = await this.connect(this.leader)
    this.unwindIfInterrupted()
    await oldPrimary.call('CLIENT', 'PAUSE', options.pauseBudgetMs, 'WRITE')
    this.pausedAt = clock.now().getTime()
    progress({kind: 'paused', primary: this.primary})
    return {candidates, sentinel}
  }

  private async waitForCandidatesToCatchUp(candidates: RedisConnection[]): Promise<void> {
    const {options, clock, progress} = this.context
    const oldPrimary = this.oldPrimary!
    const target = await waitUntil(clock, Math.min(CATCH_UP_LIMIT_MS, options.pauseBudgetMs / 2), 'every candidate replica to reach the primary\'s offset', async () => {
      const offset = Number(parseInfo(String(await oldPrimary.call('INFO', 'replication'))).master_repl_offset)
      for (const connection of candidates) {
        const info = parseInfo(String(await connection.call('INFO', 'replication')))
        if (info.master_link_status !== 'up' || Number(info.slave_repl_offset) < offset) return undefined
      }
      return {offset}
    }, this.unwindIfInterrupted)
    progress({kind: 'caught-up', offset: target.offset})
  }

  /** The point of no return; resolves with when it was sent. */
  private async sendFailover(sentinel: RedisConnection): Promise<number> {
    const {clock, masterName, progress} = this.context
    this.unwindIfInterrupted()
    this.phase = 'finish'
    const sentAt = clock.now().getTime()
    await sentinel.call('SENTINEL', 'FAILOVER', masterName).catch((error: unknown) => {
      throw explainSentinelError(error)
    })
    progress({kind: 'failover-sent', sentinel: this.leader})
    return sentAt
  }

  /** Until every Sentinel names the same new primary and it answers ROLE master; resolves with its address. */
  private async waitForPromotion(sentAt: number): Promise<string> {
    const {options, clock, progress} = this.context
    const oldPrimary = this.oldPrimary!
    let pauseRenewedAt = this.pausedAt!
    const promoted = await waitUntil(clock, options.promoteTimeoutMs, 'the Sentinels to agree on a new primary', async () => {
      // CLIENT PAUSE ends by itself after the budget (so a dead CLI cannot leave writes paused);
      // a promotion that takes longer must not let the old primary acknowledge writes it then loses.
      if (clock.now().getTime() - pauseRenewedAt >= options.pauseBudgetMs / 2) {
        await oldPrimary.call('CLIENT', 'PAUSE', options.pauseBudgetMs, 'WRITE').catch(() => undefined)
        pauseRenewedAt = clock.now().getTime()
      }
      const named = await this.primariesTheSentinelsName()
      const [only] = named
      if (named.size !== 1 || only === this.primary) return undefined
      const node = await this.connect(only!)
      const role = ((await node.call('ROLE')) as unknown[])[0]
      return role === 'master' ? only : undefined
    })
    this.result.promotionMs = clock.now().getTime() - sentAt
    this.result.newPrimary = promoted
    progress({kind: 'promoted', primary: promoted})
    if (!this.result.candidates.includes(promoted)) throw new FailoverError(`Sentinel promoted ${promoted}, which was not a checked candidate (${this.result.candidates.join(', ')})`)
    return promoted
  }

  /** The primaries the Sentinels that answer name, one entry once they agree. */
  private async primariesTheSentinelsName(): Promise<Set<string>> {
    const {connector, sentinels, masterName} = this.context
    const named = new Set<string>()
    for (const endpoint of sentinels) {
      const answer = await connector.connect(endpoint).then(
        async (connection) => {
          try {
            return (await connection.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string]
          } finally {
            connection.close()
          }
        },
        () => undefined,
      )
      if (answer) named.add(`${answer[0]}:${answer[1]}`)
    }
    return named
  }

  /** What Sentinel does to the old primary a few seconds later; done now so writes resume sooner. */
  private async releaseWrites(promoted: string): Promise<void> {
    const {clock, progress} = this.context
    const oldPrimary = this.oldPrimary!
    const {host, port} = endpointOf(promoted)
    await oldPrimary.call('REPLICAOF', host, port)
    await oldPrimary.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
    await oldPrimary.call('CLIENT', 'UNPAUSE')
    this.result.writePauseMs = clock.now().getTime() - this.pausedAt!
    this.pausedAt = undefined
    this.phase = 'skip-checks'
    progress({kind: 'unpaused', pausedMs: this.result.writePauseMs})
    // Only for a restart of the node: Sentinel rewrites it too once it has reconfigured it.
    await oldPrimary.call('CONFIG', 'REWRITE').catch(() => undefined)
  }

  /** The checks after the pause. No client waits on these; after Ctrl-C they are skipped, and named. */
  private async verify(promoted: string): Promise<void> {
    const {signal} = this.context.options
    const skipped: string[] = []
    for (const [what, wait] of await this.checksAfterThePause(promoted)) {
      if (signal?.aborted) {
        skipped.push(what)
        continue
      }
      await wait().catch((error: unknown) => {
        if (!(error instanceof InterruptedError)) throw error
        skipped.push(what)
      })
    }
    if (signal?.aborted) this.result.interrupted = {outcome: 'finished', skipped}
  }

  /** Each check named as the report names it when skipped. */
  private async checksAfterThePause(promoted: string): Promise<Array<[string, () => Promise<unknown>]>> {
    const {connector, sentinels, masterName, options, clock} = this.context
    const {signal} = options
    const oldPrimary = this.oldPrimary!
    const newPrimary = await this.connect(promoted)
    const stopWaiting = () => {
      if (signal?.aborted) throw new InterruptedError()
    }
    const poll = <T>(what: string, probe: () => Promise<T | undefined>): [string, () => Promise<unknown>] => [what, () => waitUntil(clock, options.promoteTimeoutMs, what, probe, stopWaiting)]
    const checks = [
      poll(`the new primary ${promoted} to accept a write`, async () => {
        const answer = await newPrimary.call('SET', 'fintech:failover:probe', clock.now().toISOString(), 'PX', 60_000).catch(() => undefined)
        return answer === 'OK'
      }),
      poll(`the old primary ${this.primary} to resync as a replica of ${promoted}`, async () => {
        const info = parseInfo(String(await oldPrimary.call('INFO', 'replication')))
        return info.role === 'slave' && `${info.master_host}:${info.master_port}` === promoted && info.master_link_status === 'up' ? true : undefined
      }),
      // Until every Sentinel has closed the failover, the next one gets INPROG.
      poll('every Sentinel to finish the failover', async () => {
        for (const endpoint of sentinels) {
          const connection = await connector.connect(endpoint)
          try {
            const view = pairs(await connection.call('SENTINEL', 'MASTER', masterName))
            if (`${view.ip}:${view.port}` !== promoted || view.flags !== 'master') return undefined
          } finally {
            connection.close()
          }
        }
        return true
      }),
    ]
    // Until every Sentinel has read the priorities back, a failover right after could find no replica to promote.
    if (this.held.length > 0) {
      checks.push([`every Sentinel to report ${this.held.map(({replica}) => replica).join(', ')} with its replica-priority back`, async () => {
        const released = this.held.splice(0)
        const refused = await giveBackPriorities(connector, released)
        if (refused.length > 0) throw new FintechError(`the failover finished (${this.primary} -> ${promoted}), but ${refused.join('; ')}`, ExitCode.partial)
        await waitUntilSentinelsSeePriorities(connector, sentinels, masterName, released, clock, options.promoteTimeoutMs, signal)
      }])
    }
    return checks
  }

  /** Every way out: writes released, priorities given back, connections closed; what could not be is an error. */
  private async wrapUp(failure: unknown): Promise<FailoverResult> {
    const {connector, options, clock, progress} = this.context
    const {result} = this
    const problems: string[] = []
    if (this.pausedAt !== undefined && this.oldPrimary) {
      const since = this.pausedAt
      await this.oldPrimary.call('CLIENT', 'UNPAUSE').then(
        () => {
          result.writePauseMs = clock.now().getTime() - since
          progress({kind: 'released', primary: this.primary, pausedMs: result.writePauseMs})
        },
        (error: unknown) => problems.push(`writes on ${this.primary} stay paused until the CLIENT PAUSE timeout (${Math.round(options.pauseBudgetMs / 1000)} s at most): CLIENT UNPAUSE failed: ${(error as Error).message}`),
      )
    }
    problems.push(...(await giveBackPriorities(connector, this.held)))
    for (const connection of this.open) connection.close()

    const unwinding = failure instanceof InterruptedError
    if (problems.length > 0) {
      const but = problems.join('; and ')
      if (unwinding) throw new FailoverError(`interrupted before SENTINEL FAILOVER and unwound, but ${but}`)
      if (failure) throw new FintechError(`${(failure as Error).message}; and ${but}`, (failure as Partial<FintechError>).exitCode ?? ExitCode.failed, (failure as Partial<FintechError>).hint)
      throw new FintechError(`the failover finished (${this.primary} -> ${result.newPrimary}), but ${but}`, ExitCode.partial)
    }
    if (unwinding) return unwound(this.context, result)
    if (failure) throw failure
    return finished(this.context, result)
  }
}

/** Polls `probe` until it returns something other than undefined or false; `stop` may throw to end the wait early (Ctrl-C). */
function waitUntil<T>(clock: Clock, timeoutMs: number, what: string, probe: () => Promise<T | undefined>, stop: () => void = () => undefined): Promise<Exclude<T, false>> {
  return pollUntil<Exclude<T, false>>({
    clock,
    timeoutMs,
    intervalMs: 20,
    stop,
    retryOn: (error) => !(error instanceof FailoverError),
    timedOut: (lastError) => new FailoverError(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`),
  }, async () => {
    const answer = await probe()
    return answer === false ? undefined : (answer as Exclude<T, false> | undefined)
  })
}
