import {FintechError} from '../errors.js'
import type {StateStore} from './api.js'
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

/**
 * Takes the env's lock with a conditional create. A lock past its expiry (its run died) is
 * taken over with a write conditional on the version read, so two runs finding the same
 * stale lock cannot both win.
 */
export async function acquireLock(
  store: StateStore,
  env: string,
  request: {runId: string; command: 'stop' | 'start'; by: string; now: Date; ttlMinutes: number},
): Promise<HeldLock> {
  const key = lockKey(env)
  const holder: LockHolder = {
    runId: request.runId,
    command: request.command,
    by: request.by,
    since: request.now.toISOString(),
    expires: new Date(request.now.getTime() + request.ttlMinutes * 60_000).toISOString(),
  }
  const body = JSON.stringify(holder)
  let taken = await store.putIfAbsent(key, body)
  if (!taken) {
    const current = await store.get(key)
    if (current) {
      const other = parseHolder(current.body)
      const stale = !other || Date.parse(other.expires) <= request.now.getTime()
      if (!stale) throw new LockHeldError(env, other)
      taken = await store.putIfMatch(key, body, current.etag)
    } else {
      taken = await store.putIfAbsent(key, body)
    }
    if (!taken) throw new LockHeldError(env, undefined)
  }
  const ttlMs = request.ttlMinutes * 60_000
  return {
    holder,
    async renew(now) {
      const current = await store.get(key)
      const renewed = {...holder, expires: new Date(now.getTime() + ttlMs).toISOString()}
      if (!current || parseHolder(current.body)?.runId !== holder.runId || !(await store.putIfMatch(key, JSON.stringify(renewed), current.etag))) {
        throw new FintechError(`the lock of ${env} was taken over by another run while this one was working; stopping here`)
      }
      holder.expires = renewed.expires
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
