import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll} from 'vitest'

export interface LoopbackReply {
  status?: number
  body: string
  /** text/xml when left out (the query protocol's). */
  contentType?: string
}

/**
 * An answer, or a failure of the network: `hang` reads the request and never answers (a lost
 * response), `drop` reads it and closes the connection without a word (a proxy dropping it).
 */
export type LoopbackAnswer = LoopbackReply | 'hang' | 'drop'

export interface LoopbackRequest {
  /** The query protocol's Action, or the operation of a JSON protocol's X-Amz-Target. */
  action: string
  parameters: URLSearchParams
  body: string
  headers: IncomingHttpHeaders
}

/**
 * A loopback HTTP endpoint standing in for an AWS API (query protocol: STS, CloudFormation,
 * EC2; JSON protocol: ECS, SSM, Tagging), for tests that need the SDK's real send():
 * aws-sdk-client-mock replaces send() and with it the retry middleware and the client
 * factory's own, so only a real HTTP exchange shows a throttled or lost call retried.
 * Registers its own beforeAll/afterAll; point AWS_ENDPOINT_URL at `endpoint()` where needed.
 */
export function useLoopbackAws(answer: (action: string, parameters: URLSearchParams, request: LoopbackRequest) => LoopbackAnswer): {endpoint(): string} {
  let server: Server
  let endpoint = ''
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => {
        const parameters = new URLSearchParams(body)
        const target = String(request.headers['x-amz-target'] ?? '')
        const action = parameters.get('Action') ?? target.slice(target.lastIndexOf('.') + 1)
        const reply = answer(action, parameters, {action, parameters, body, headers: request.headers})
        if (reply === 'hang') return
        if (reply === 'drop') return void request.socket.destroy()
        response.setHeader('content-type', reply.contentType ?? 'text/xml')
        response.statusCode = reply.status ?? 200
        response.end(reply.body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    process.env.AWS_ACCESS_KEY_ID = 'testing'
    process.env.AWS_SECRET_ACCESS_KEY = 'testing'
  })
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL
    delete process.env.AWS_ACCESS_KEY_ID
    delete process.env.AWS_SECRET_ACCESS_KEY
    // Requests left hanging would keep close() waiting.
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return {endpoint: () => endpoint}
}
