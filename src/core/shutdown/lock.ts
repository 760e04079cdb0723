import {FintechError} from '../errors.js'
import type {StateStore, StoredObject} from './api.js'
import {lockKey} from './manifest.js'

export interface LockHolder {
  runId: string
  command: 'stop' | 'start'
  by: string
  since: string
  expires: string
}

/** Another run holds the env's lock: this run did nothing. */
export class LockHeldError extends FintechError {
  constructor(env: string, holder: LockHolder | undefined) {
    super(
      holder
        ? `another fintech shutdown run holds the lock of ${env}: ${holder.command} run ${holder.runId} by ${holder.by} since ${holder.since} (expires ${holder.expires}); nothing was done`
        : `another fintech shutdown run took the lock of ${env} at the same moment; nothing was done`,
      undefined,
      'wait for that run to finish (fintech shutdown status shows it); a lock whose run died expires on its own',
    )
  }
}

const parseHolder = (body: string): LockHolder | undefined => {
  try {
    const holder = JSON.parse(body) as LockHolder
    return typeof holder.expires === 'string' ? holder : undefined
  } catch {
    return undefined
  }
}

export interface HeldLock {
  holder: LockHolder
  /** Pushes the expiry out by the TTL again, so a long run is never taken for a dead one; throws if the lock was lost. */
  renew(now: Date): Promise<void>
  release(): Promise<void>
}

/** A conditional write of the lock, judged by what is stored when it did not plainly succeed. */
type WriteOutcome = {taken: true; stored: LockHolder} | {taken: false; current: StoredObject | undefined}

/**
 * Writes `holder` with `write` (a conditional put). A write whose answer was lost (a dropped
 * response, a timeout) may have landed all the same, and the SDK's retry of it then fails its
 * condition against this very write. So when the write does not say yes, the stored lock
 * decides: this run's id there means the lock is this run's. A write that failed with nothing
 * stored is the failure it was; a lock of another run is left to the caller to judge.
 */
async function writeLock(store: StateStore, key: string, holder: LockHolder, write: (body: string) => Promise<boolean>): Promise<WriteOutcome> {
  let failure: {error: unknown} | undefined
  try {
    if (await write(JSON.stringify(holder))) return {taken: true, stored: holder}
  } catch (error) {
    failure = {error}
  }
  let current: StoredObject | undefined
  try {
    current = await store.get(key)
  } catch (readError) {
    throw failure ? failure.error : readError
  }
  const stored = current && parseHolder(current.body)
  if (stored?.runId === holder.runId) return {taken: true, stored}
  if (failure && !current) throw failure.error
  return {taken: false, current}
}

/**
 * Takes the env's lock with a conditional create. A lock past its expiry (its run died) is
 * taken over with a write conditional on the version read, so two runs finding the same
 * stale lock cannot both win. A lock that names this run's id is this run's (see writeLock).
 */
export async function acquireLock(
  store: StateStore,
  env: string,
  request: {runId: string; command: 'stop' | 'start'; by: string; now: Date; ttlMinutes: number},
): Promise<HeldLock> {
  const key = lockKey(env)
  const ttlMs = request.ttlMinutes * 60_000
  const holder: LockHolder = {
    runId: request.runId,
    command: request.command,
    by: request.by,
    since: request.now.toISOString(),
    expires: new Date(request.now.getTime() + ttlMs).toISOString(),
  }
  let outcome = await writeLock(store, key, holder, (body) => store.putIfAbsent(key, body))
  if (!outcome.taken) {
    const {current} = outcome
    const other = current && parseHolder(current.body)
    if (other && Date.parse(other.expires) > request.now.getTime()) throw new LockHeldError(env, other)
    // Stale, unreadable, or released in between.
    outcome = await writeLock(store, key, holder, (body) => (current ? store.putIfMatch(key, body, current.etag) : store.putIfAbsent(key, body)))
    if (!outcome.taken) throw new LockHeldError(env, outcome.current && parseHolder(outcome.current.body))
  }
  const takenOver = () => new FintechError(`the lock of ${env} was taken over by another run while this one was working; stopping here`)
  return {
    holder,
    async renew(now) {
      const current = await store.get(key)
      if (!current || parseHolder(current.body)?.runId !== holder.runId) throw takenOver()
      const renewed = {...holder, expires: new Date(now.getTime() + ttlMs).toISOString()}
      const written = await writeLock(store, key, renewed, (body) => store.putIfMatch(key, body, current.etag))
      if (!written.taken) throw takenOver()
      // A renewal that did not land leaves the expiry as it was; the next heartbeat tries again.
      holder.expires = written.stored.expires
    },
    async release() {
      const current = await store.get(key)
      if (current && parseHolder(current.body)?.runId === holder.runId) await store.delete(key)
    },
  }
}

export async function readLock(store: StateStore, env: string): Promise<LockHolder | undefined> {
  const current = await store.get(lockKey(env))
  return current ? parseHolder(current.body) : undefined
}
