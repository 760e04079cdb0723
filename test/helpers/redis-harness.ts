import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Redis} from 'ioredis'

/**
 * Real redis-server and redis-sentinel processes on loopback, configured like the data stage's
 * nodes (templates/data/data.yaml): one AUTH password for Redis and Sentinel, masterauth on
 * every node, quorum 2. Each process runs in its own process group, so stop() (and the exit
 * hook, if a test run dies first) leaves nothing behind.
 */

export const HARNESS_PASSWORD = 'harness-pass-0123456789'
export const HARNESS_MASTER = 'fintech-ledger'

export interface HarnessNode {
  name: string
  port: number
  kind: 'redis' | 'sentinel'
  process?: ChildProcess
  configFile: string
}

export interface RedisHarness {
  dir: string
  password: string
  masterName: string
  nodes: HarnessNode[]
  sentinels: HarnessNode[]
  /** `127.0.0.1:port` of every Sentinel, as `--sentinel` takes them. */
  sentinelAddresses: string[]
  /** A client for one process (authenticated); closed by stop(). */
  client(port: number): Redis
  /** The port Sentinel currently names as the master (asks the first Sentinel that answers). */
  masterPort(): Promise<number>
  /** Kills a process (SIGKILL to its group) and waits for its exit. */
  kill(node: HarnessNode): Promise<void>
  /** Starts a killed process again with its (possibly Sentinel-rewritten) config file. */
  restart(node: HarnessNode): Promise<void>
  /** Cuts a replica off its primary until healLink: a wrong masterauth, then its link is killed. */
  breakLink(port: number): Promise<void>
  healLink(port: number): Promise<void>
  /** Waits until every replica is online, in sync with the master, and every Sentinel agrees and sees them. */
  settled(options?: {replicas?: number}): Promise<void>
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) killGroup(child)
})

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

/** Polls `check` until it returns a truthy value; fails with `what` (and the last error) after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
    await sleep(50)
  }
}

export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':')
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1)
  }
  return fields
}

/** Sentinel's flat [name, value, name, value…] replies. */
export const pairs = (flat: string[]): Record<string, string> => {
  const record: Record<string, string> = {}
  for (let index = 0; index + 1 < flat.length; index += 2) record[flat[index]!] = flat[index + 1]!
  return record
}

export async function startRedisHarness(options: {downAfterMs?: number; failoverTimeoutMs?: number} = {}): Promise<RedisHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-redis-'))
  const clients: Redis[] = []
  const nodes: HarnessNode[] = []
  const sentinels: HarnessNode[] = []
  const downAfter = options.downAfterMs ?? 2000
  const failoverTimeout = options.failoverTimeoutMs ?? 10_000

  const launch = async (node: HarnessNode) => {
    const binary = node.kind === 'redis' ? 'redis-server' : 'redis-sentinel'
    const child = spawn(binary, [node.configFile], {cwd: dir, detached: true, stdio: 'ignore'})
    child.once('exit', () => live.delete(child))
    live.add(child)
    node.process = child
    await waitFor(`${node.name} to answer on ${node.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${binary} exited with ${child.exitCode} (config ${node.configFile}, log ${join(dir, `${node.name}.log`)})`)
      const probe = new Redis({port: node.port, host: '127.0.0.1', password: HARNESS_PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0})
      probe.on('error', () => undefined)
      try {
        await probe.connect()
        return (await probe.ping()) === 'PONG'
      } finally {
        probe.disconnect()
      }
    })
  }

  const client = (port: number) => {
    const created = new Redis({port, host: '127.0.0.1', password: HARNESS_PASSWORD, maxRetriesPerRequest: 1, retryStrategy: (times) => (times > 50 ? null : 100)})
    created.on('error', () => undefined)
    clients.push(created)
    return created
  }

  const harness: RedisHarness = {
    dir,
    password: HARNESS_PASSWORD,
    masterName: HARNESS_MASTER,
    nodes,
    sentinels,
    sentinelAddresses: [],
    client,
    async masterPort() {
      for (const sentinel of sentinels) {
        if (sentinel.process?.exitCode !== null) continue
        const answer = (await client(sentinel.port).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', HARNESS_MASTER).catch(() => null)) as string[] | null
        if (answer) return Number(answer[1])
      }
      throw new Error('no Sentinel names a master')
    },
    async kill(node) {
      const child = node.process
      if (!child || child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((done) => child.once('exit', done))
      killGroup(child)
      await exited
    },
    async restart(node) {
      await launch(node)
    },
    async breakLink(port) {
      const replica = client(port)
      await replica.call('CONFIG', 'SET', 'masterauth', 'not-the-password')
      await replica.call('CLIENT', 'KILL', 'TYPE', 'master')
      await waitFor(`replica ${port} to lose its link`, async () => parseInfo((await replica.call('INFO', 'replication')) as string).master_link_status === 'down')
    },
    async healLink(port) {
      await client(port).call('CONFIG', 'SET', 'masterauth', HARNESS_PASSWORD)
    },
    async settled({replicas = 2} = {}) {
      await waitFor('replication and Sentinel to settle', async () => {
        const port = await harness.masterPort()
        const master = parseInfo((await client(port).call('INFO', 'replication')) as string)
        if (master.role !== 'master' || Number(master.connected_slaves) < replicas) return false
        const offset = Number(master.master_repl_offset)
        for (let index = 0; index < Number(master.connected_slaves); index++) {
          const line = master[`slave${index}`] ?? ''
          const fields = Object.fromEntries(line.split(',').map((part) => part.split('=') as [string, string]))
          if (fields.state !== 'online') return false
          const replica = parseInfo((await client(Number(fields.port)).call('INFO', 'replication')) as string)
          if (replica.master_link_status !== 'up' || Number(replica.slave_repl_offset) < offset - 1000) return false
        }
        for (const sentinel of sentinels) {
          if (sentinel.process?.exitCode !== null) continue
          const view = pairs((await client(sentinel.port).call('SENTINEL', 'MASTER', HARNESS_MASTER)) as string[])
          if (Number(view.port) !== port || view.flags !== 'master' || Number(view['num-slaves']) < replicas) return false
          if (Number(view['num-other-sentinels']) < sentinels.length - 1) return false
          const known = (await client(sentinel.port).call('SENTINEL', 'REPLICAS', HARNESS_MASTER)) as string[][]
          const up = known.map(pairs).filter((entry) => entry.flags === 'slave' && entry['master-link-status'] === 'ok')
          if (up.length < replicas) return false
        }
        return true
      }, 30_000)
    },
    async stop() {
      for (const created of clients) created.disconnect()
      await Promise.all([...nodes, ...sentinels].map((node) => harness.kill(node)))
      rmSync(dir, {recursive: true, force: true})
    },
  }

  try {
    const ports = await Promise.all(Array.from({length: 6}, freePort))
    const [primaryPort] = ports
    for (const [index, port] of ports.slice(0, 3).entries()) {
      const name = index === 0 ? 'primary' : `replica${index}`
      const configFile = join(dir, `${name}.conf`)
      writeFileSync(
        configFile,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `dbfilename ${name}.rdb`,
          `logfile ${join(dir, `${name}.log`)}`,
          `requirepass ${HARNESS_PASSWORD}`,
          `masterauth ${HARNESS_PASSWORD}`,
          'repl-diskless-sync yes',
          'repl-diskless-sync-delay 0',
          'appendonly no',
          'save ""',
          'enable-debug-command yes',
          ...(index === 0 ? [] : [`replicaof 127.0.0.1 ${primaryPort}`]),
          '',
        ].join('\n'),
      )
      nodes.push({name, port, kind: 'redis', configFile})
    }
    for (const [index, port] of ports.slice(3).entries()) {
      const name = `sentinel${index + 1}`
      const configFile = join(dir, `${name}.conf`)
      writeFileSync(
        configFile,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `logfile ${join(dir, `${name}.log`)}`,
          `requirepass ${HARNESS_PASSWORD}`,
          `sentinel monitor ${HARNESS_MASTER} 127.0.0.1 ${primaryPort} 2`,
          `sentinel auth-pass ${HARNESS_MASTER} ${HARNESS_PASSWORD}`,
          `sentinel down-after-milliseconds ${HARNESS_MASTER} ${downAfter}`,
          `sentinel failover-timeout ${HARNESS_MASTER} ${failoverTimeout}`,
          `sentinel parallel-syncs ${HARNESS_MASTER} 1`,
          '',
        ].join('\n'),
      )
      sentinels.push({name, port, kind: 'sentinel', configFile})
    }
    harness.sentinelAddresses = sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`)
    await Promise.all(nodes.map(launch))
    await Promise.all(sentinels.map(launch))
    await harness.settled()
    return harness
  } catch (error) {
    await harness.stop()
    throw error
  }
}
