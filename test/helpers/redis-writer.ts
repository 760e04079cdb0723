import {Redis} from 'ioredis'
import type {RedisHarness} from './redis-harness.js'

export interface Writer {
  /** How many writes have been acknowledged so far. */
  acknowledgedSoFar(): number
  /**
   * Stops writing and waits until every write has been answered. `longestGapMs` is the longest
   * time between two acknowledgments in a row: how long the application could not write.
   */
  stop(): Promise<{acknowledged: string[]; failed: number; longestGapMs: number}>
}

/**
 * An application-like writer: an ioredis client that follows Sentinel, writing a new key about
 * every `intervalMs`. A write is acknowledged when its promise resolves; a rejected one is not.
 */
export function startWriter(harness: RedisHarness, prefix: string, intervalMs = 10): Writer {
  const client = new Redis({
    sentinels: harness.sentinelAddresses.map((address) => ({host: '127.0.0.1', port: Number(address.split(':')[1])})),
    name: harness.masterName,
    password: harness.password,
    sentinelPassword: harness.password,
    reconnectOnError: (error) => (/READONLY/.test(error.message) ? 2 : false),
  })
  client.on('error', () => undefined)
  const acknowledged: string[] = []
  const pending: Array<Promise<unknown>> = []
  let failed = 0
  let sequence = 0
  let lastAckAt: number | undefined
  let longestGapMs = 0
  const acknowledge = (key: string) => {
    const now = Date.now()
    if (lastAckAt !== undefined) longestGapMs = Math.max(longestGapMs, now - lastAckAt)
    lastAckAt = now
    acknowledged.push(key)
  }
  const timer = setInterval(() => {
    const key = `${prefix}:${sequence++}`
    pending.push(client.set(key, key).then(() => acknowledge(key), () => failed++))
  }, intervalMs)
  return {
    acknowledgedSoFar: () => acknowledged.length,
    async stop() {
      clearInterval(timer)
      await Promise.allSettled(pending)
      client.disconnect()
      return {acknowledged, failed, longestGapMs}
    },
  }
}
