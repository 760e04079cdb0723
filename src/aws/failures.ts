/**
 * What a failed AWS call tells the person reading it: the service and operation, the HTTP
 * status (or why there was none) and how many attempts the SDK made, then AWS's own message.
 */

/** What a failure's message says, kept so a caller that sends again itself can count all its attempts. */
interface Said {
  service: string
  operation: string
  how: string
  detail: string
}

const SAID = Symbol('fintech.failure')

const render = (said: Said, attempts: number) =>
  `${said.service} ${said.operation} failed (${said.how}, ${attempts} attempt${attempts === 1 ? '' : 's'}): ${said.detail}`

interface SdkFailure {
  [SAID]?: Said
  name?: string
  message?: string
  code?: string
  stack?: string
  $metadata?: {httpStatusCode?: number; attempts?: number}
  $response?: {headers?: Record<string, string | undefined>}
}

/** The names the SDK gives a body it could not read: the JSON parser's, or its placeholder when no error code was found. */
const UNREADABLE_NAMES = new Set(['SyntaxError', 'Unknown'])

/** Why no HTTP status came back, from the Node error code the SDK's HTTP handler kept. */
const NO_RESPONSE: Record<string, string> = {
  ETIMEDOUT: 'timed out',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
}

function withoutStatus(failure: SdkFailure): string {
  if (failure.code && NO_RESPONSE[failure.code]) return NO_RESPONSE[failure.code]!
  return failure.name === 'TimeoutError' ? 'timed out' : 'no HTTP response'
}

/** A body that is not the API's: a proxy's HTML page, a load balancer's text, a truncated document. */
const isUnparseable = (failure: SdkFailure) =>
  failure.$response !== undefined && (UNREADABLE_NAMES.has(failure.name ?? '') || /Deserialization error/.test(failure.message ?? ''))

/**
 * Rewrites the message of an error from an SDK call as
 * "<Service> <Operation> failed (HTTP <status>, <n> attempts): <AWS's message>", in place, so
 * its name, $metadata, $fault and error code stay what callers match on, and AWS's message
 * stays inside (callers match on "does not exist" and the like). A body the SDK could not
 * parse is said as such, named UnparseableResponse, instead of the parser's complaint. Errors
 * that never reached the retry step (invalid input) and aborts (Ctrl-C) pass unchanged.
 */
export function nameFailure(error: unknown, service: string, operation: string): unknown {
  const failure = error as SdkFailure
  if (typeof error !== 'object' || error === null || !failure.$metadata || failure.name === 'AbortError') return error
  const status = failure.$metadata.httpStatusCode
  const attempts = failure.$metadata.attempts ?? 1
  const original = failure.message ?? ''
  // The HTTP handler signs its timeouts ("@smithy/node-http-handler - [ERROR] a request has exceeded…"): the reader needs only the rest.
  let detail = original.replace(/^@smithy\/node-http-handler - (\[ERROR\] )?/, '')
  if (status !== undefined && isUnparseable(failure)) {
    detail = `unparseable response (${failure.$response?.headers?.['content-type'] || 'no content type'})`
    failure.name = 'UnparseableResponse'
  }
  const said = {service, operation, how: status === undefined ? withoutStatus(failure) : `HTTP ${status}`, detail}
  const message = render(said, attempts)
  try {
    failure[SAID] = said
    failure.message = message
    if (failure.stack && original) failure.stack = failure.stack.replace(original, message)
  } catch {
    // A frozen error keeps its own message.
  }
  return error
}

/** A named failure's message and $metadata with the attempts a caller made in all, when it sent the call again itself. */
export function recountAttempts(error: unknown, attempts: number): unknown {
  const failure = error as SdkFailure
  const said = failure?.[SAID]
  if (!said || !failure.$metadata) return error
  failure.$metadata.attempts = attempts
  failure.message = render(said, attempts)
  return error
}
