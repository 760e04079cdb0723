import {Redis} from 'ioredis'
import {addressOf, type RedisConnection, type RedisConnector, type RedisEndpoint} from '../core/redis/api.js'

export interface ConnectorOptions {
  password?: string
  /** Private address → where it is reachable from here (a local port forwarded through SSM). */
  forwards?: Map<string, RedisEndpoint>
  connectTimeoutMs?: number
  commandTimeoutMs?: number
}

/**
 * ioredis connections that fail fast instead of retrying: the domain decides what a node that
 * does not answer means. Redis and Sentinel share the password (templates/data/data.yaml).
 */
export function createRedisConnector({password, forwards, connectTimeoutMs = 3000, commandTimeoutMs = 10_000}: ConnectorOptions): RedisConnector {
  return {
    async connect(endpoint) {
      const reach = forwards?.get(addressOf(endpoint)) ?? endpoint
      const client = new Redis({
        host: reach.host,
        port: reach.port,
        ...(password ? {password} : {}),
        lazyConnect: true,
        connectTimeout: connectTimeoutMs,
        commandTimeout: commandTimeoutMs,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      })
      // A refused AUTH closes the connection: connect() then only says "Connection is closed", the event says why.
      let refused: Error | undefined
      client.on('error', (error: Error) => {
        refused ??= error
      })
      try {
        await client.connect()
      } catch (error) {
        client.disconnect()
        const why = refused && refused !== error ? refused.message : (error as Error).message
        throw new Error(`cannot connect to ${addressOf(endpoint)}${reach === endpoint ? '' : ` (forwarded to ${addressOf(reach)})`}: ${why}`)
      }
      const connection: RedisConnection = {
        call: (command, ...args) => client.call(command, ...args),
        close: () => client.disconnect(),
      }
      return connection
    },
  }
}
