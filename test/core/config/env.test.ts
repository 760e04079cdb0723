import {describe, expect, it} from 'vitest'
import {resolveEnv} from '../../../src/core/config/env.js'
import {loadConfig} from '../../../src/core/config/load.js'
import {makeProject} from '../../helpers/project.js'

const tags = (env: string) => `{Environment: ${env}, CostCenter: c, Owner: o, Service: s, DataClassification: d}`
const CONFIG = `environments:
  dev: {account: "111111111111", region: eu-west-1, profile: dev-admin, tags: ${tags('dev')}}
  prod: {account: "222222222222", region: eu-central-1, tags: ${tags('prod')}}
aws: {connectTimeoutMs: 2000}
stages:
  - name: foundation
    stacks:
      - {id: baseline, template: t.yaml}
`
const loaded = () => loadConfig(makeProject({'fintech.config.yaml': CONFIG, 't.yaml': 'Resources:\n  Topic: {Type: AWS::SNS::Topic}\n'}))

describe('resolveEnv: the env a command acts on, resolved once', () => {
  it('holds the config entry and talks to AWS as the env does when no flag says otherwise', () => {
    const env = resolveEnv(loaded(), 'dev')
    expect({...env, config: undefined}).toEqual({
      name: 'dev',
      account: '111111111111',
      region: 'eu-west-1',
      profile: 'dev-admin',
      protected: false,
      tags: {Environment: 'dev', CostCenter: 'c', Owner: 'o', Service: 's', DataClassification: 'd'},
      target: {region: 'eu-west-1', profile: 'dev-admin', timeouts: {connectTimeoutMs: 2000}},
      config: undefined,
    })
    expect(env.config.account).toBe('111111111111')
  })

  it('lets --region and --profile move the AWS target, never the env\'s own region', () => {
    const env = resolveEnv(loaded(), 'dev', {region: 'us-west-2', profile: 'break-glass'})
    expect(env.target).toEqual({region: 'us-west-2', profile: 'break-glass', timeouts: {connectTimeoutMs: 2000}})
    expect([env.region, env.profile]).toEqual(['eu-west-1', 'dev-admin'])
  })

  it('is protected by a production name without a protected key', () => {
    expect(resolveEnv(loaded(), 'prod').protected).toBe(true)
  })

  it('refuses an env the config does not declare, naming the flag and the ones it does', () => {
    expect(() => resolveEnv(loaded(), 'stage')).toThrow('unknown environment "stage" (--env): use one of dev, prod')
  })
})
