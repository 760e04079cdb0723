import {describe, expect, it} from 'vitest'
import type {AuditEntry} from '../../src/core/audit/audit-log.js'
import {loadConfig} from '../../src/core/config/load.js'
import type {ChangeSetInput, StackApi, StackDescription} from '../../src/core/deploy/api.js'
import {InterruptedError, type Clock} from '../../src/core/clock.js'
import type {DeployEvent} from '../../src/core/deploy/events.js'
import {runDeploy} from '../../src/core/deploy/run-deploy.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {makeProject} from '../helpers/project.js'

/**
 * An in-memory CloudFormation whose stack operations finish only when the test says so,
 * to watch how many run at once and in which order.
 */
class ControlledCloudFormation implements Partial<StackApi> {
  stacks = new Map<string, StackDescription>()
  running = new Set<string>()
  maxRunning = 0
  order: string[] = []
  private finishers = new Map<string, () => void>()

  finish(stackName: string) {
    this.finishers.get(stackName)?.()
  }

  async describeStack(stackName: string) {
    return this.stacks.get(stackName)
  }
  async getTemplateBody() {
    return ''
  }
  async createChangeSet(input: ChangeSetInput) {
    return {id: `arn:changeSet/${input.stackName}`}
  }
  async describeChangeSet(id: string) {
    return {id, status: 'CREATE_COMPLETE', changes: [{action: 'Add' as const, logicalId: 'Topic', resourceType: 'AWS::SNS::Topic', scope: [], details: []}]}
  }
  async executeChangeSet(changeSetId: string) {
    const stackName = changeSetId.replace('arn:changeSet/', '')
    if (stackName === changeSetId) throw new Error(`ExecuteChangeSet was given ${changeSetId}, not a change set id`)
    this.order.push(stackName)
    this.running.add(stackName)
    this.maxRunning = Math.max(this.maxRunning, this.running.size)
    this.stacks.set(stackName, {stackName, stackId: stackName, status: 'CREATE_IN_PROGRESS', parameters: {}, tags: {}, outputs: {}, terminationProtection: false})
    this.finishers.set(stackName, () => {
      this.running.delete(stackName)
      this.stacks.set(stackName, {...this.stacks.get(stackName)!, status: 'CREATE_COMPLETE', outputs: {TopicArn: `arn:${stackName}`}})
    })
  }
  async eventsSince() {
    return []
  }
}

const topic = (parameter?: string) =>
  `${parameter ? `Parameters:\n  ${parameter}: {Type: String}\n` : ''}Resources:\n  Topic: {Type: AWS::SNS::Topic}\nOutputs:\n  TopicArn: {Value: !Ref Topic}\n`

const CONFIG = `polling: {initialMs: 1, maxMs: 1}
environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    tags: {Environment: dev, CostCenter: c, Owner: o, Service: s, DataClassification: d}
stages:
  - name: apps
    stacks:
      - {id: a, template: a.yaml}
      - {id: b, template: a.yaml}
      - {id: c, template: a.yaml}
      - id: d
        template: d.yaml
        parameters: {Upstream: {stackOutput: a.TopicArn}}
`

function setUp(concurrency: number) {
  const loaded = loadConfig(makeProject({'fintech.config.yaml': CONFIG, 'a.yaml': topic(), 'd.yaml': topic('Upstream')}))
  const plan = planEnvironment(loaded, resolveEnv(loaded, 'dev'), loaded.config.stages)
  const api = new ControlledCloudFormation()
  const events: DeployEvent[] = []
  const audit: AuditEntry[] = []
  const controller = new AbortController()
  const clock: Clock = {
    now: () => new Date(),
    sleep: (_ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new InterruptedError())
        setImmediate(resolve)
      }),
  }
  const context = {
    api: api as unknown as StackApi,
    artifacts: async () => ({putTemplate: async () => undefined}),
    reporter: {emit: (event: DeployEvent) => events.push(event), close: async () => {}},
    audit: {record: (entry: AuditEntry) => audit.push(entry)},
    approver: {approve: async () => ({approved: true})},
    clock,
    signal: controller.signal,
    concurrency,
    options: {envName: 'dev', protectedEnv: false, dryRun: false, allowReplacement: false, force: false, artifactBucket: 'b', polling: {initialMs: 1, maxMs: 1}},
  }
  return {plan, api, events, audit, controller, context}
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 10_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve))
  expect(condition()).toBe(true)
}

describe('runDeploy', () => {
  it('runs independent stacks of a stage in parallel, never more than the concurrency, and a dependent after its source', async () => {
    const {plan, api, context} = setUp(2)
    const run = runDeploy(plan, new Map(), context)

    await until(() => api.running.size === 2)
    expect([...api.running].sort()).toEqual(['fintech-dev-apps-a', 'fintech-dev-apps-b'])
    api.finish('fintech-dev-apps-a')
    // c was queued before d could start (d waited for a), so c takes the free slot first.
    await until(() => api.running.has('fintech-dev-apps-c'))
    expect([...api.running].sort()).toEqual(['fintech-dev-apps-b', 'fintech-dev-apps-c'])
    api.finish('fintech-dev-apps-b')
    await until(() => api.running.has('fintech-dev-apps-d'))
    api.finish('fintech-dev-apps-c')
    api.finish('fintech-dev-apps-d')
    const result = await run

    expect(api.maxRunning).toBe(2)
    expect(api.order.indexOf('fintech-dev-apps-d')).toBeGreaterThan(api.order.indexOf('fintech-dev-apps-a'))
    const stacks = result.stages[0]!.stacks
    expect(stacks.map((stack) => stack.outcome)).toEqual(['created', 'created', 'created', 'created'])
    expect(stacks.find((stack) => stack.id === 'd')!.parameters).toEqual({Upstream: 'arn:fintech-dev-apps-a'})
  })

  it('on Ctrl-C stops waiting, reports the stacks as interrupted and leaves an in-progress audit line', async () => {
    const {plan, api, audit, controller, context} = setUp(4)
    const run = runDeploy(plan, new Map(), context)
    await until(() => api.running.size === 3)
    controller.abort()
    const result = await run

    const outcomes = Object.fromEntries(result.stages[0]!.stacks.map((stack) => [stack.id, stack.outcome]))
    expect(outcomes).toEqual({a: 'interrupted', b: 'interrupted', c: 'interrupted', d: 'skipped'})
    expect(audit.filter((entry) => entry.action === 'execute-change-set').map((entry) => entry.result)).toEqual(['in-progress', 'in-progress', 'in-progress'])
  })
})
