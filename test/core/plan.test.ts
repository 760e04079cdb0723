import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {selectStages} from '../../src/core/stages/select.js'
import {makeProject} from '../helpers/project.js'

const topic = 'Resources:\n  Topic: {Type: AWS::SNS::Topic}\nOutputs:\n  TopicArn: {Value: !Ref Topic}\n'
const tags = (env: string) => `{Environment: ${env}, CostCenter: c, Owner: o, Service: s, DataClassification: d}`
const CONFIG = `environments:
  management: {account: "999999999999", region: us-east-1, protected: true, tags: ${tags('management')}}
  dev: {account: "111111111111", region: eu-west-1, tags: ${tags('dev')}}
stages:
  - name: foundation
    stacks:
      - {id: organization, template: t.yaml, envs: [management]}
      - {id: baseline, template: t.yaml, envs: [dev]}
  - name: networking
    stacks:
      - {id: network, template: t.yaml, envs: [dev]}
`

describe('stacks limited to some environments (envs)', () => {
  const loaded = () => loadConfig(makeProject({'fintech.config.yaml': CONFIG, 't.yaml': topic}))

  it('plans only the env\'s stacks, named as if they were the stage\'s only ones', () => {
    const config = loaded()
    const dev = planEnvironment(config, resolveEnv(config, 'dev'), config.config.stages)
    expect(dev.stages.map((stage) => stage.jobs.map((job) => job.stackName))).toEqual([['fintech-dev-foundation'], ['fintech-dev-networking']])
    const management = planEnvironment(config, resolveEnv(config, 'management'), config.config.stages)
    expect(management.stages.map((stage) => stage.jobs.map((job) => job.stackName))).toEqual([['fintech-management-foundation']])
  })

  it('refuses a stage that has no stack for the env', () => {
    const config = loaded()
    expect(() => planEnvironment(config, resolveEnv(config, 'management'), selectStages(config.config, 'networking'))).toThrow(
      /no stack of stage networking deploys to management/,
    )
  })

  it('refuses an env name that does not exist, at its line', () => {
    const path = makeProject({'fintech.config.yaml': CONFIG.replace('envs: [dev]}\n  - name: networking', 'envs: [dve]}\n  - name: networking'), 't.yaml': topic})
    expect(() => loadConfig(path)).toThrow(/fintech\.config\.yaml:8: stages\[0\]\.stacks\[1\]\.envs\[0\]: no environment is called "dve"/)
  })
})
