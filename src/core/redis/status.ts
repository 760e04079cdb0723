import {addressOf, pairs, parseInfo, replicaLines, type RedisConnection, type RedisConnector, type RedisEndpoint} from './api.js'

/** What one Sentinel believes. */
export interface SentinelView {
  address: string
  reachable: boolean
  error?: string
  /** The master's address this Sentinel names. */
  master?: string
  /** Its flags for the master (master, s_down, o_down, failover_in_progress…). */
  flags?: string
  failoverInProgress?: boolean
  quorum?: {ok: boolean; detail: string}
  /** Replicas and other Sentinels it knows. */
  replicas?: number
  otherSentinels?: number
}

export interface NodeHealth {
  address: string
  reachable: boolean
  error?: string
  role?: string
  usedMemoryBytes?: number
  maxMemoryBytes?: number
  evictedKeys?: number
  /** rdb_last_bgsave_status and when the last successful save finished. */
  lastSave?: {status: string; at: string}
}

export interface ReplicaHealth extends NodeHealth {
  /** up or down as the replica reports it; unknown when it does not answer. */
  link: 'up' | 'down' | 'unknown'
  /** The master it follows. */
  following?: string
  offset?: number
  lagBytes?: number
  lagSeconds?: number
  /** Whether Sentinel may promote it (replica-priority 0 says never). */
  priority?: number
  /** The Sentinels' flags for it (s_down, disconnected…). */
  sentinelFlags?: string
}

export interface RedisStatus {
  masterName: string
  /** Every answering Sentinel names the same master. */
  sentinelsAgree: boolean
  primary?: NodeHealth & {offset?: number; connectedReplicas?: number}
  replicas: ReplicaHealth[]
  sentinels: SentinelView[]
  /** Why the tier is unhealthy; empty when healthy. */
  problems: string[]
  healthy: boolean
}

export interface HealthLimits {
  /** A replica further behind than this is unhealthy (bytes). */
  maxLagBytes: number
  /** …or than this (seconds since the primary last heard from it; the template's min-replicas-max-lag is 10). */
  maxLagSeconds: number
  /** used_memory above this share of maxmemory is unhealthy. */
  maxMemoryShare: number
}

export const DEFAULT_LIMITS: HealthLimits = {maxLagBytes: 1024 * 1024, maxLagSeconds: 10, maxMemoryShare: 0.9}

const message = (error: unknown) => (error as Error).message ?? String(error)

/** Opens a connection, runs `work`, and always closes it. */
export async function withConnection<T>(connector: RedisConnector, endpoint: RedisEndpoint, work: (connection: RedisConnection) => Promise<T>): Promise<T> {
  const connection = await connector.connect(endpoint)
  try {
    return await work(connection)
  } finally {
    connection.close()
  }
}

async function sentinelView(connector: RedisConnector, endpoint: RedisEndpoint, masterName: string): Promise<{view: SentinelView; knownReplicas: Array<Record<string, string>>}> {
  const address = addressOf(endpoint)
  try {
    return await withConnection(connector, endpoint, async (sentinel) => {
      const master = pairs(await sentinel.call('SENTINEL', 'MASTER', masterName))
      // What clients are told; during a failover it is already the promoted replica.
      const [ip, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string]
      const knownReplicas = ((await sentinel.call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(pairs)
      const quorum = await sentinel.call('SENTINEL', 'CKQUORUM', masterName).then(
        (answer) => ({ok: true, detail: String(answer)}),
        (error: unknown) => ({ok: false, detail: message(error)}),
      )
      const flags = master.flags ?? ''
      return {
        view: {
          address,
          reachable: true,
          master: `${ip}:${port}`,
          flags,
          failoverInProgress: flags.split(',').some((flag) => flag.startsWith('failover_in_progress') || flag === 'promoted'),
          quorum,
          replicas: Number(master['num-slaves']),
          otherSentinels: Number(master['num-other-sentinels']),
        },
        knownReplicas,
      }
    })
  } catch (error) {
    return {view: {address, reachable: false, error: message(error)}, knownReplicas: []}
  }
}

async function nodeInfo(connector: RedisConnector, endpoint: RedisEndpoint): Promise<{info?: Record<string, string>; priority?: number; error?: string}> {
  try {
    return await withConnection(connector, endpoint, async (node) => {
      const info = parseInfo(String(await node.call('INFO', 'all')))
      const priority = (await node.call('CONFIG', 'GET', 'replica-priority').then(pairs, () => ({}) as Record<string, string>))['replica-priority']
      return {info, ...(priority === undefined ? {} : {priority: Number(priority)})}
    })
  } catch (error) {
    return {error: message(error)}
  }
}

function health(address: string, answer: {info?: Record<string, string>; error?: string}): NodeHealth {
  const info = answer.info
  if (!info) return {address, reachable: false, error: answer.error}
  return {
    address,
    reachable: true,
    role: info.role,
    usedMemoryBytes: Number(info.used_memory),
    maxMemoryBytes: Number(info.maxmemory),
    evictedKeys: Number(info.evicted_keys),
    lastSave: {status: info.rdb_last_bgsave_status ?? 'unknown', at: new Date(Number(info.rdb_last_save_time) * 1000).toISOString()},
  }
}

/**
 * Reads the tier as the Sentinels and the nodes themselves report it: the master the Sentinels
 * name (they must agree), the replicas either the primary or a Sentinel knows (a replica whose
 * link is down is missing from the primary's list but not from Sentinel's), and each node's own
 * INFO. Never changes anything.
 */
export async function readRedisStatus(connector: RedisConnector, sentinels: RedisEndpoint[], masterName: string, limits: HealthLimits = DEFAULT_LIMITS): Promise<RedisStatus> {
  const problems: string[] = []
  const views = await Promise.all(sentinels.map((endpoint) => sentinelView(connector, endpoint, masterName)))
  const answering = views.filter(({view}) => view.reachable)
  for (const {view} of views) {
    if (!view.reachable) problems.push(`Sentinel ${view.address} does not answer: ${view.error}`)
    else if (!view.quorum?.ok) problems.push(`Sentinel ${view.address}: quorum check failed: ${view.quorum?.detail}`)
    if (view.failoverInProgress) problems.push(`Sentinel ${view.address}: a failover is in progress (${view.flags})`)
    else if (view.flags && view.flags !== 'master') problems.push(`Sentinel ${view.address} flags the master ${view.flags}`)
  }
  const named = new Set(answering.map(({view}) => view.master))
  const sentinelsAgree = answering.length > 0 && named.size === 1
  if (answering.length === 0) problems.push('no Sentinel answers')
  else if (!sentinelsAgree) problems.push(`the Sentinels disagree on the master: ${answering.map(({view}) => `${view.address} names ${view.master}`).join(', ')}`)

  // The master most Sentinels name; with a tie, the first Sentinel's.
  const counts = new Map<string, number>()
  for (const {view} of answering) counts.set(view.master!, (counts.get(view.master!) ?? 0) + 1)
  const primaryAddress = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0]
  const status: RedisStatus = {masterName, sentinelsAgree, replicas: [], sentinels: views.map(({view}) => view), problems, healthy: false}
  if (!primaryAddress) return finish(status)

  const [host, port] = [primaryAddress.slice(0, primaryAddress.lastIndexOf(':')), Number(primaryAddress.slice(primaryAddress.lastIndexOf(':') + 1))]
  const primaryAnswer = await nodeInfo(connector, {host, port})
  const primaryInfo = primaryAnswer.info
  status.primary = {...health(primaryAddress, primaryAnswer), ...(primaryInfo ? {offset: Number(primaryInfo.master_repl_offset), connectedReplicas: Number(primaryInfo.connected_slaves)} : {})}
  if (!primaryInfo) problems.push(`primary ${primaryAddress} does not answer: ${primaryAnswer.error}`)
  else if (primaryInfo.role !== 'master') problems.push(`primary ${primaryAddress} says its role is ${primaryInfo.role}`)

  const listed = primaryInfo ? replicaLines(primaryInfo) : []
  const known = new Map<string, {endpoint: RedisEndpoint; flags?: string}>()
  for (const line of listed) known.set(addressOf(line.endpoint), {endpoint: line.endpoint})
  for (const {knownReplicas} of answering) {
    for (const replica of knownReplicas) {
      const address = `${replica.ip}:${replica.port}`
      const entry = known.get(address) ?? {endpoint: {host: replica.ip!, port: Number(replica.port)}}
      if (replica.flags && replica.flags !== 'slave') entry.flags = replica.flags
      known.set(address, entry)
    }
  }
  const primaryOffset = primaryInfo ? Number(primaryInfo.master_repl_offset) : undefined
  status.replicas = await Promise.all(
    [...known].map(async ([address, {endpoint, flags}]) => {
      const answer = await nodeInfo(connector, endpoint)
      const info = answer.info
      const line = listed.find((candidate) => addressOf(candidate.endpoint) === address)
      const replica: ReplicaHealth = {...health(address, answer), link: 'unknown', ...(flags ? {sentinelFlags: flags} : {}), ...(answer.priority === undefined ? {} : {priority: answer.priority})}
      if (!info) return replica
      replica.link = info.master_link_status === 'up' ? 'up' : 'down'
      if (info.master_host) replica.following = `${info.master_host}:${info.master_port}`
      replica.offset = Number(info.slave_repl_offset ?? info.master_repl_offset)
      if (primaryOffset !== undefined && info.role === 'slave') replica.lagBytes = Math.max(0, primaryOffset - replica.offset)
      replica.lagSeconds = replica.link === 'up' ? (line?.lag ?? Number(info.master_last_io_seconds_ago)) : Number(info.master_link_down_since_seconds ?? -1)
      return replica
    }),
  )
  status.replicas.sort((a, b) => a.address.localeCompare(b.address))
  for (const replica of status.replicas) {
    if (!replica.reachable) problems.push(`replica ${replica.address} does not answer${replica.sentinelFlags ? ` (Sentinel: ${replica.sentinelFlags})` : ''}: ${replica.error}`)
    else if (replica.role !== 'slave') problems.push(`replica ${replica.address} says its role is ${replica.role}`)
    else if (replica.following !== primaryAddress) problems.push(`replica ${replica.address} follows ${replica.following}, not the primary ${primaryAddress}`)
    else if (replica.link !== 'up') problems.push(`replica ${replica.address}: link to the primary is down${replica.lagSeconds !== undefined && replica.lagSeconds >= 0 ? ` since ${replica.lagSeconds} s` : ''}`)
    else if ((replica.lagBytes ?? 0) > limits.maxLagBytes || (replica.lagSeconds ?? 0) > limits.maxLagSeconds) {
      problems.push(`replica ${replica.address} lags ${replica.lagBytes} bytes, ${replica.lagSeconds} s (limits ${limits.maxLagBytes} bytes, ${limits.maxLagSeconds} s)`)
    }
  }
  if (status.replicas.length === 0) problems.push('the primary has no replica: a failover has nothing to promote')
  for (const node of [status.primary, ...status.replicas]) {
    if (!node?.reachable) continue
    if (node.lastSave && node.lastSave.status !== 'ok') problems.push(`${node.address}: the last background save failed (rdb_last_bgsave_status ${node.lastSave.status})`)
    if (node.maxMemoryBytes && node.usedMemoryBytes! > node.maxMemoryBytes * limits.maxMemoryShare) {
      problems.push(`${node.address} uses ${node.usedMemoryBytes} of ${node.maxMemoryBytes} bytes (over ${limits.maxMemoryShare * 100}%)`)
    }
    if (node.evictedKeys) problems.push(`${node.address} has evicted ${node.evictedKeys} keys`)
  }
  return finish(status)
}

function finish(status: RedisStatus): RedisStatus {
  status.healthy = status.problems.length === 0
  return status
}
