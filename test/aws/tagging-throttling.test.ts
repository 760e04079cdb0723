import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, expect, it} from 'vitest'
import {createTaggingApi} from '../../src/aws/tagging.js'

/**
 * The Tagging API is a JSON protocol (X-Amz-Target), so this file serves it from its own
 * loopback endpoint: aws-sdk-client-mock replaces send() and with it the retry middleware, so
 * only a real HTTP exchange shows a throttled page retried by the SDK's adaptive retries.
 */
const requests: Array<{target: string; token?: string; perPage?: number}> = []
let throttleLeft = 1
let server: Server

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const input = JSON.parse(body || '{}') as {PaginationToken?: string; ResourcesPerPage?: number}
      const target = String(request.headers['x-amz-target'] ?? '')
      requests.push({target, token: input.PaginationToken, perPage: input.ResourcesPerPage})
      response.setHeader('content-type', 'application/x-amz-json-1.1')
      if (throttleLeft > 0 && input.PaginationToken === 'page-2') {
        throttleLeft -= 1
        response.statusCode = 400
        response.end(JSON.stringify({__type: 'ThrottledException', Message: 'Rate exceeded'}))
        return
      }
      const pages: Record<string, {arns: string[]; next?: string}> = {
        '': {arns: ['a', 'b'], next: 'page-2'},
        'page-2': {arns: ['c'], next: 'page-3'},
        'page-3': {arns: ['d']},
      }
      const page = pages[input.PaginationToken ?? '']!
      response.end(
        JSON.stringify({
          ResourceTagMappingList: page.arns.map((id) => ({ResourceARN: `arn:aws:sns:eu-west-1:111111111111:${id}`, Tags: [{Key: 'Owner', Value: id}]})),
          ...(page.next ? {PaginationToken: page.next} : {}),
        }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  process.env.AWS_ACCESS_KEY_ID = 'testing'
  process.env.AWS_SECRET_ACCESS_KEY = 'testing'
})

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL
  delete process.env.AWS_ACCESS_KEY_ID
  delete process.env.AWS_SECRET_ACCESS_KEY
  await new Promise((resolve) => server.close(resolve))
})

it('retries a throttled page with the same token and still yields every page once', async () => {
  let paced = 0
  const api = await createTaggingApi({region: 'eu-west-1'}, async () => void (paced += 1))
  const pages: string[][] = []
  for await (const page of api.source.pages()) pages.push(page.map((resource) => resource.tags!.Owner!))

  expect(pages).toEqual([['a', 'b'], ['c'], ['d']])
  expect(requests).toEqual([
    {target: 'ResourceGroupsTaggingAPI_20170126.GetResources', perPage: 100, token: undefined},
    {target: 'ResourceGroupsTaggingAPI_20170126.GetResources', perPage: 100, token: 'page-2'},
    {target: 'ResourceGroupsTaggingAPI_20170126.GetResources', perPage: 100, token: 'page-2'},
    {target: 'ResourceGroupsTaggingAPI_20170126.GetResources', perPage: 100, token: 'page-3'},
  ])
  // The pacing is per page; the SDK's retries of a throttled page add their own back-off on top.
  expect(paced).toBe(3)
  expect(api.source.requests()).toBe(3)
})
