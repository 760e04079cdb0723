import {describe, expect, it} from 'vitest'
import {environmentSchema} from '../../src/core/config/schema.js'

const env = (recovery: unknown) => environmentSchema.safeParse({account: '333333333333', region: 'eu-west-1', tags: {Environment: 'prod'}, recovery})

describe('an env recovery region', () => {
  it('takes a region, with RPO and RTO targets by default', () => {
    const parsed = env({region: 'eu-central-1'})
    expect(parsed.success && parsed.data.recovery).toEqual({region: 'eu-central-1', rpoSeconds: 60, rtoMinutes: 30})
  })

  it('refuses the env region itself, at recovery.region', () => {
    const parsed = env({region: 'eu-west-1'})
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues[0]).toMatchObject({path: ['recovery', 'region'], message: 'the recovery region must differ from the env region'})
  })

  it('refuses what is not a region, and unknown keys', () => {
    expect(env({region: 'Frankfurt'}).error?.issues[0]).toMatchObject({path: ['recovery', 'region'], message: 'an AWS region such as eu-west-1'})
    expect(env({region: 'eu-central-1', rpo: 5}).success).toBe(false)
  })

  it('is optional', () => {
    expect(env(undefined).success).toBe(true)
  })
})
