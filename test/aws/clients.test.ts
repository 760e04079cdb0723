import {afterEach, expect, it} from 'vitest'
import {clientSettings} from '../../src/aws/clients.js'

afterEach(() => {
  delete process.env.AWS_ENDPOINT_URL
})

it('uses adaptive retries, the fintech user agent and the profile and region it is given', () => {
  expect(clientSettings({region: 'eu-west-1', profile: 'fintech-dev'})).toEqual({
    region: 'eu-west-1',
    profile: 'fintech-dev',
    retryMode: 'adaptive',
    maxAttempts: 8,
    customUserAgent: 'fintech/0.1.0',
  })
})

it('sends every client to AWS_ENDPOINT_URL when it is set', () => {
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566'
  expect(clientSettings({region: 'us-east-1'})).toMatchObject({endpoint: 'http://127.0.0.1:4566', region: 'us-east-1'})
})
