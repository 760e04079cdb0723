/**
 * A loopback HTTP proxy in front of an AWS endpoint (moto_server) that misbehaves on purpose,
 * the way a real network and a busy AWS do: point AWS_ENDPOINT_URL at `endpoint` and give it
 * rules. A rule matches requests by AWS operation (query protocol `Action=`, JSON protocol
 * `X-Amz-Target`, or `METHOD /path` for REST APIs) and, at a seeded random rate, delays the
 * answer, answers a throttling error in the request's protocol, answers 500, answers an HTML
 * 502 page, or drops the answer: the request reaches the emulator (its change happens), then
 * the client's socket is destroyed without a reply.
 *
 * Every request is logged with what was done to it, in arrival order; `waitFor` lets a test
 * act on the moment a request reaches a state (e.g. send SIGINT once ExecuteChangeSet has been
 * carried out) instead of on a timer.
 */
import {createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'

export type Protocol = 'query' | 'ec2' | 'json' | 'rest-xml' | 'rest-json'

export type FaultEffect = 'pass' | 'delay' | 'throttle' | 'error-500' | 'html-502' | 'drop'

export interface RequestInfo {
  /** The signing name from the Authorization header (cloudformation, sts, s3, dynamodb); '' when unsigned. */
  service: string
  /** `Action=` of the query protocol, the operation of `X-Amz-Target`, else `METHOD /path`. */
  operation: string
  protocol: Protocol
  /** Which attempt of one SDK call this request is (its amz-sdk-request header), from 1; 1 when the header is absent. */
  attempt: number
}

export interface FaultRule {
  /** The operation (exactly), a pattern over it, or any test of the request. */
  match: string | RegExp | ((request: RequestInfo) => boolean)
  /** Only requests signed for this service. */
  service?: string
  /** What to do; `delayMs` goes with 'delay'. */
  effect: Exclude<FaultEffect, 'pass'>
  delayMs?: number
  /** Share of the matching requests affected, drawn from the proxy's seeded generator; default 1. */
  rate?: number
  /** Affect at most this many requests; default no limit. */
  times?: number
}

export type RequestState =
  /** Arrived; for `delay` and `drop`, not yet answered by the emulator. */
  | 'received'
  /** The emulator answered (its change is made); the client has not been answered yet. */
  | 'forwarded'
  /** The client got an answer (the emulator's or a made-up error). */
  | 'answered'
  /** The answer was withheld and the client's socket destroyed. */
  | 'dropped'
  /** The client went away before its answer was sent. */
  | 'abandoned'

export interface ProxyLogEntry extends RequestInfo {
  /** Arrival order, from 1. */
  seq: number
  method: string
  path: string
  effect: FaultEffect
  state: RequestState
  /** The status the client got (for 'drop': the one the emulator gave and the client never saw). */
  status?: number
}

export interface FaultProxy {
  endpoint: string
  log: ProxyLogEntry[]
  /** Replaces the rules; requests already in flight keep what was decided for them. */
  setRules(rules: FaultRule[]): void
  /** The first entry, logged already or later, for which `predicate` holds after a change of state. */
  waitFor(predicate: (entry: ProxyLogEntry) => boolean): Promise<ProxyLogEntry>
  /** Stops listening, cancels held answers and destroys every open connection. */
  close(): Promise<void>
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name]
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '')
}

/** Which API a request calls, read the way AWS itself routes it. */
export function describeRequest(method: string, url: string, headers: IncomingHttpHeaders, body: string): RequestInfo {
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(header(headers, 'authorization'))?.[1] ?? ''
  const attempt = Number(/attempt=(\d+)/.exec(header(headers, 'amz-sdk-request'))?.[1] ?? 1)
  const target = header(headers, 'x-amz-target')
  if (target) return {service, operation: target.slice(target.lastIndexOf('.') + 1), protocol: 'json', attempt}
  const parsed = new URL(url, 'http://proxy')
  const form = header(headers, 'content-type').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : undefined
  const action = form?.get('Action') ?? parsed.searchParams.get('Action')
  if (action) return {service, operation: action, protocol: service === 'ec2' ? 'ec2' : 'query', attempt}
  return {service, operation: `${method} ${parsed.pathname}`, protocol: service === 's3' ? 'rest-xml' : 'rest-json', attempt}
}

interface MadeUpAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

const xml = (status: number, body: string): MadeUpAnswer => ({status, headers: {'content-type': 'text/xml'}, body})
const json = (status: number, type: string, message: string, protocol: Protocol): MadeUpAnswer => ({
  status,
  headers: {'content-type': protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json', 'x-amzn-errortype': type},
  body: JSON.stringify(protocol === 'json' ? {__type: type, message} : {message}),
})

/** The error AWS sends when it throttles a caller, in each protocol's own shape. */
function throttling(protocol: Protocol, seq: number): MadeUpAnswer {
  switch (protocol) {
    case 'query':
      return xml(400, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy-${seq}</RequestId></ErrorResponse>`)
    case 'ec2':
      return xml(503, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy-${seq}</RequestID></Response>`)
    case 'rest-xml':
      return xml(503, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault-proxy-${seq}</RequestId></Error>`)
    default:
      return json(protocol === 'json' ? 400 : 429, 'ThrottlingException', 'Rate exceeded', protocol)
  }
}

function internalError(protocol: Protocol, seq: number): MadeUpAnswer {
  switch (protocol) {
    case 'query':
      return xml(500, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>We encountered an internal error.</Message></Error><RequestId>fault-proxy-${seq}</RequestId></ErrorResponse>`)
    case 'ec2':
      return xml(500, `<Response><Errors><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error></Errors><RequestID>fault-proxy-${seq}</RequestID></Response>`)
    case 'rest-xml':
      return xml(500, `<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message><RequestId>fault-proxy-${seq}</RequestId></Error>`)
    default:
      return json(500, 'InternalFailure', 'We encountered an internal error.', protocol)
  }
}

const BAD_GATEWAY: MadeUpAnswer = {
  status: 502,
  headers: {'content-type': 'text/html'},
  body: '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n',
}

const readBody = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })

interface Forwarded {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Starts the proxy on a free loopback port in front of `target` (e.g. moto's endpoint). */
export async function startFaultProxy(options: {target: string; seed?: number; rules?: FaultRule[]}): Promise<FaultProxy> {
  const target = new URL(options.target)
  const random = seededRandom(options.seed ?? 1)
  let rules: Array<FaultRule & {used: number}> = []
  const setRules = (next: FaultRule[]) => {
    rules = next.map((rule) => ({...rule, used: 0}))
  }
  setRules(options.rules ?? [])

  const log: ProxyLogEntry[] = []
  const watchers = new Set<{predicate: (entry: ProxyLogEntry) => boolean; resolve: (entry: ProxyLogEntry) => void}>()
  const update = (entry: ProxyLogEntry, change: Partial<ProxyLogEntry>) => {
    Object.assign(entry, change)
    for (const watcher of watchers) {
      if (!watcher.predicate(entry)) continue
      watchers.delete(watcher)
      watcher.resolve({...entry})
    }
  }

  const timers = new Set<NodeJS.Timeout>()
  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)
      timers.add(timer)
    })

  const decide = (info: RequestInfo): FaultRule | undefined => {
    for (const rule of rules) {
      if (rule.service !== undefined && rule.service !== info.service) continue
      const matches = typeof rule.match === 'string' ? rule.match === info.operation : rule.match instanceof RegExp ? rule.match.test(info.operation) : rule.match(info)
      if (!matches || (rule.times !== undefined && rule.used >= rule.times)) continue
      if (rule.rate !== undefined && rule.rate < 1 && random() >= rule.rate) continue
      rule.used++
      return rule
    }
    return undefined
  }

  const forward = (request: IncomingMessage, body: Buffer): Promise<Forwarded> =>
    new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {host: target.hostname, port: target.port, method: request.method, path: request.url, headers: {...request.headers, host: target.host}, agent: false},
        (response) => {
          readBody(response).then((answer) => resolve({status: response.statusCode ?? 502, headers: response.headers, body: answer}), reject)
        },
      )
      upstream.on('error', reject)
      upstream.end(body)
    })

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request)
    const info = describeRequest(request.method ?? 'GET', request.url ?? '/', request.headers, body.toString('utf8'))
    const rule = decide(info)
    const entry: ProxyLogEntry = {...info, seq: log.length + 1, method: request.method ?? 'GET', path: request.url ?? '/', effect: rule?.effect ?? 'pass', state: 'received'}
    log.push(entry)
    update(entry, {})
    let clientGone = false
    response.on('close', () => {
      if (!response.writableFinished) clientGone = true
    })

    const answer = (made: MadeUpAnswer | Forwarded) => {
      if (clientGone || response.destroyed) return update(entry, {state: 'abandoned', status: made.status})
      response.writeHead(made.status, made.headers as Record<string, string>)
      response.end(made.body)
      update(entry, {state: 'answered', status: made.status})
    }

    switch (entry.effect) {
      case 'throttle':
        return answer(throttling(info.protocol, entry.seq))
      case 'error-500':
        return answer(internalError(info.protocol, entry.seq))
      case 'html-502':
        return answer(BAD_GATEWAY)
      default:
    }
    const forwarded = await forward(request, body)
    update(entry, {state: 'forwarded', status: forwarded.status})
    if (entry.effect === 'drop') {
      request.socket.destroy()
      return update(entry, {state: 'dropped'})
    }
    if (entry.effect === 'delay') await hold(rule?.delayMs ?? 0)
    answer(forwarded)
  }

  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(599, {'content-type': 'text/plain'})
        response.end(`fault proxy: ${error.message}`)
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    setRules,
    waitFor(predicate) {
      const found = log.find(predicate)
      if (found) return Promise.resolve({...found})
      return new Promise((resolve) => watchers.add({predicate, resolve}))
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
