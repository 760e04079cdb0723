import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {offlinePlan} from '../../src/core/deploy/offline-plan.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {stackNameById} from '../../src/core/stages/select.js'
import {renderOfflinePlan} from '../../src/ui/summary.js'
import {makeProject} from '../helpers/project.js'

const topic = (parameter?: string) =>
  `${parameter ? `Parameters:\n  ${parameter}: {Type: String}\n` : ''}Resources:\n  Topic: {Type: AWS::SNS::Topic}\nOutputs:\n  TopicArn: {Value: !Ref Topic}\n`
const tags = (env: string) => `{Environment: ${env}, CostCenter: c, Owner: o, Service: s, DataClassification: d}`
const CONFIG = `environments:
  dev: {account: "111111111111", region: eu-west-1, tags: ${tags('dev')}}
  prod: {account: "333333333333", region: eu-west-1, recovery: {region: eu-central-1}, tags: ${tags('prod')}}
stages:
  - name: networking
    stacks:
      - {id: network, template: t.yaml}
      - {id: network-recovery, template: t.yaml, region: recovery, envs: [prod]}
  - name: data
    stacks:
      - {id: data, template: t.yaml}
      - id: data-recovery
        template: source.yaml
        region: recovery
        envs: [prod]
        parameters: {Source: {stackOutput: data.TopicArn}}
`
const project = (config = CONFIG) => makeProject({'fintech.config.yaml': config, 't.yaml': topic(), 'source.yaml': topic('Source')})

describe('stacks in the recovery region (region: recovery)', () => {
  it('names them fintech-<env>-<stage>-recovery, in the recovery region, without renaming the primary stacks', () => {
    const loaded = loadConfig(project())
    const prod = planEnvironment(loaded, resolveEnv(loaded, 'prod'), loaded.config.stages)
    expect(prod.stages.map((stage) => stage.jobs.map((job) => [job.stackName, job.region]))).toEqual([
      [
        ['fintech-prod-networking', 'eu-west-1'],
        ['fintech-prod-networking-recovery', 'eu-central-1'],
      ],
      [
        ['fintech-prod-data', 'eu-west-1'],
        ['fintech-prod-data-recovery', 'eu-central-1'],
      ],
    ])
    expect(stackNameById(loaded.config, 'prod', 'data-recovery')).toBe('fintech-prod-data-recovery')
  })

  it('orders a recovery stack after the primary stack of its stage whose output it reads', () => {
    const loaded = loadConfig(project())
    const data = planEnvironment(loaded, resolveEnv(loaded, 'prod'), loaded.config.stages).stages[1]!.jobs.find((job) => job.id === 'data-recovery')!
    expect(data.dependsOn).toEqual(['data'])
  })

  it('leaves them out of an env without a recovery region, whose stacks keep their names', () => {
    const loaded = loadConfig(project())
    const dev = planEnvironment(loaded, resolveEnv(loaded, 'dev'), loaded.config.stages)
    expect(dev.stages.map((stage) => stage.jobs.map((job) => [job.stackName, job.region]))).toEqual([[['fintech-dev-networking', 'eu-west-1']], [['fintech-dev-data', 'eu-west-1']]])
  })

  it('refuses a recovery stack that does not list its envs, at the line of its region', () => {
    const path = project(CONFIG.replace('region: recovery, envs: [prod]}', 'region: recovery}'))
    expect(() => loadConfig(path)).toThrow(/fintech\.config\.yaml:8: stages\[0\]\.stacks\[1\]\.region: a recovery stack lists its envs \(those with a recovery region\)/)
  })

  it('refuses a recovery stack for an env without a recovery region, at that env', () => {
    const path = project(CONFIG.replace('region: recovery, envs: [prod]}', 'region: recovery, envs: [prod, dev]}'))
    expect(() => loadConfig(path)).toThrow(/fintech\.config\.yaml:8: stages\[0\]\.stacks\[1\]\.envs\[1\]: dev has no recovery region \(environments\.dev\.recovery\)/)
  })

  it('shows both regions in the offline plan, each stack with its region', () => {
    const loaded = loadConfig(project())
    const plan = offlinePlan(planEnvironment(loaded, resolveEnv(loaded, 'prod'), loaded.config.stages))
    expect(plan).toMatchObject({region: 'eu-west-1', recoveryRegion: 'eu-central-1'})
    expect(plan.stages.flatMap((stage) => stage.stacks.map((stack) => `${stack.stackName} ${stack.region}`))).toEqual([
      'fintech-prod-networking eu-west-1',
      'fintech-prod-networking-recovery eu-central-1',
      'fintech-prod-data eu-west-1',
      'fintech-prod-data-recovery eu-central-1',
    ])
    const text = renderOfflinePlan(plan)
    expect(text).toContain('Offline plan for prod (account 333333333333, eu-west-1, recovery region eu-central-1, protected). No AWS call was made.')
    expect(text).toMatch(/^ {2}fintech-prod-data-recovery {2}eu-central-1 {2}source\.yaml .* after data$/m)
  })

  it('the shipped config: prod\'s offline plan has every stage in both regions, each recovery stack ordered before the primary stack that reads it', () => {
    const loaded = loadConfig(fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url)))
    const plan = offlinePlan(planEnvironment(loaded, resolveEnv(loaded, 'prod'), loaded.config.stages))
    expect(plan.stages.flatMap((stage) => stage.stacks.map((stack) => `${stack.stackName} ${stack.region}`))).toEqual([
      'fintech-prod-foundation eu-west-1',
      'fintech-prod-foundation-recovery us-east-1',
      'fintech-prod-networking eu-west-1',
      'fintech-prod-networking-recovery us-east-1',
      'fintech-prod-data eu-west-1',
      'fintech-prod-data-recovery us-east-1',
      'fintech-prod-compute eu-west-1',
      'fintech-prod-compute-recovery us-east-1',
    ])
    const text = renderOfflinePlan(plan)
    // The replica bucket must exist before the artifact bucket replicates to it, the standby's load balancer before the failover records.
    expect(text).toMatch(/^ {2}fintech-prod-foundation {2}eu-west-1 {2}templates\/foundation\/baseline\.yaml .* after baseline-recovery$/m)
    expect(text).toMatch(/^ {2}fintech-prod-compute {2}eu-west-1 {2}templates\/compute\/compute\.yaml .* after compute-recovery$/m)
    expect(text).toMatch(/^ {2}fintech-prod-compute-recovery {2}us-east-1 {2}templates\/recovery\/compute\.yaml {2}\d+ bytes$/m)
  })
})
