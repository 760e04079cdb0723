import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll} from 'vitest'

export interface LoopbackAnswer {
  status?: number
  body: string
}

/**
 * A loopback HTTP endpoint standing in for an AWS query-protocol API (STS, CloudFormation,
 * EC2), for tests that need the SDK's real send(): aws-sdk-client-mock replaces send() and
 * with it the retry middleware, so only a real HTTP exchange shows a throttled call retried.
 * Registers its own beforeAll/afterAll; point AWS_ENDPOINT_URL at `endpoint()` where needed.
 */
export function useLoopbackAws(answer: (action: string, parameters: URLSearchParams) => LoopbackAnswer): {endpoint(): string} {
  let server: Server
  let endpoint = ''
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => {
        const parameters = new URLSearchParams(body)
        const reply = answer(parameters.get('Action') ?? '', parameters)
        response.setHeader('content-type', 'text/xml')
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
    await new Promise((resolve) => server.close(resolve))
  })
  return {endpoint: () => endpoint}
}
