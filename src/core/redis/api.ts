import type {FintechConfig} from '../config/schema.js'
import {InputError} from '../errors.js'
import {stackNameById, stacksFor} from '../stages/select.js'

/** The name Sentinel monitors the primary under when the data stack does not say (its RedisMasterName default). */
export const DEFAULT_MASTER_NAME = 'fintech-ledger'

/** The stack whose output names the Redis master (the data stage's), as the config wires it. */
export function redisMasterStack(config: FintechConfig, env: string): string | undefined {
  for (const stage of config.stages) {
    for (const stack of stacksFor(stage, env)) {
      for (const value of Object.values(stack.parameters)) {
        if (typeof value !== 'object' || !('stackOutput' in value) || !value.stackOutput.endsWith('.RedisMasterName')) continue
        const source = stackNameById(config, env, value.stackOutput.split('.')[0]!)
        if (source) return source
      }
    }
  }
  return undefined
}

/** Where a Redis server or Sentinel listens. */
export interface RedisEndpoint {
  host: string
  port: number
}

/** One authenticated connection to a Redis server or Sentinel, as the domain needs it. */
export interface RedisConnection {
  /** Sends one command; Redis error replies reject with their message (e.g. "NOGOODSLAVE ..."). */
  call(command: string, ...args: Array<string | number>): Promise<unknown>
  close(): void
}

/** Opens connections; the CLI's implementation is ioredis (src/cli/redis-connector.ts), reached directly or through SSM port forwarding. */
export interface RedisConnector {
  connect(endpoint: RedisEndpoint): Promise<RedisConnection>
}

export const addressOf = (endpoint: RedisEndpoint): string => `${endpoint.host}:${endpoint.port}`

/** `host:port` as the user or a stack output writes it; `what` names the flag or output in the error. */
export function parseEndpoint(text: string, what: string): RedisEndpoint {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[2])
  if (!match || port < 1 || port > 65_535) throw new InputError(`${what}: "${text}" is not host:port`)
  return {host: match[1]!, port}
}

/** INFO's `field:value` lines. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':')
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1).trim()
  }
  return fields
}

/** Sentinel's flat [name, value, name, value…] replies. */
export function pairs(flat: unknown): Record<string, string> {
  const record: Record<string, string> = {}
  const list = Array.isArray(flat) ? (flat as unknown[]) : []
  for (let index = 0; index + 1 < list.length; index += 2) record[String(list[index])] = String(list[index + 1])
  return record
}

/** INFO replication's `slaveN:ip=…,port=…,state=…,offset=…,lag=…` of a primary. */
export function replicaLines(info: Record<string, string>): Array<{endpoint: RedisEndpoint; state: string; offset: number; lag: number}> {
  return Object.entries(info)
    .filter(([key]) => /^slave\d+$/.test(key))
    .map(([, line]) => {
      const fields = Object.fromEntries(line.split(',').map((part) => part.split('=') as [string, string]))
      return {endpoint: {host: fields.ip ?? '', port: Number(fields.port)}, state: fields.state ?? '', offset: Number(fields.offset), lag: Number(fields.lag)}
    })
}
