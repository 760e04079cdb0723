/**
 * Ctrl-C inside the deploy engine, at each step: after the signal fires, no change set is
 * created or executed and no operation starts; a read in flight is abandoned at once; a change
 * set already created is deleted; an operation already started is reported as going on.
 */
import {describe, expect, it} from 'vitest'
import type {AuditEntry} from '../../src/core/audit/audit-log.js'
import {loadConfig} from '../../src/core/config/load.js'
import type {ArtifactStore, ChangeSetDescription, ChangeSetInput, StackApi, StackDescription, StackEvent} from '../../src/core/deploy/api.js'
import {InterruptedError, type Clock} from '../../src/core/clock.js'
import {deployStack, type StackDeployContext} from '../../src/core/deploy/deploy-stack.js'
import {runDeploy} from '../../src/core/deploy/run-deploy.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {parseTemplate} from '../../src/core/template/parse.js'
import {makeProject} from '../helpers/project.js'

const NAME = 'fintech-dev-apps'
const TOPIC = 'Resources:\n  Topic: {Type: AWS::SNS::Topic}\n'
const CHANGING = ['createChangeSet', 'executeChangeSet', 'deleteStack', 'continueUpdateRollback', 'putTemplate']

const never = () => new Promise<never>(() => undefined)

const stackIn = (stackName: string, status: string): StackDescription => ({stackName, stackId: stackName, status, parameters: {}, tags: {}, outputs: {}, terminationProtection: false})

/**
 * CloudFormation in memory. Each call is recorded by name; `during[name]` runs inside the
 * call, before it answers, so a test can press Ctrl-C at exactly that point and choose what
 * the call then does (answer, or hang like a slow endpoint).
 */
class FakeCloudFormation implements StackApi {
  calls: string[] = []
  stacks = new Map<string, StackDescription>()
  during: Partial<Record<string, () => Promise<void> | void>> = {}

  private async call(name: string): Promise<void> {
    this.calls.push(name)
    await this.during[name]?.()
  }

  async describeStack(stackName: string) {
    await this.call('describeStack')
    return this.stacks.get(stackName)
  }

  /** The stack a change set belongs to: its id ends with the stack's name. */
  private stackOf(changeSetId: string) {
    return changeSetId.slice(changeSetId.lastIndexOf('/') + 1)
  }

  /** Every stack whose operation is running finishes now. */
  finishAll() {
    for (const [name, stack] of this.stacks) if (stack.status === 'CREATE_IN_PROGRESS') this.stacks.set(name, {...stack, status: 'CREATE_COMPLETE'})
  }
  async getTemplateBody() {
    await this.call('getTemplateBody')
    return 'Resources: {}'
  }
  async createChangeSet(input: ChangeSetInput) {
    await this.call('createChangeSet')
    if (!this.stacks.has(input.stackName)) this.stacks.set(input.stackName, stackIn(input.stackName, 'REVIEW_IN_PROGRESS'))
    return {id: `arn:changeSet/${input.stackName}`}
  }
  async describeChangeSet(id: string): Promise<ChangeSetDescription> {
    await this.call('describeChangeSet')
    return {id, status: 'CREATE_COMPLETE', executionStatus: 'AVAILABLE', changes: [{action: 'Add', logicalId: 'Topic', resourceType: 'AWS::SNS::Topic', scope: [], details: []}]}
  }
  async executeChangeSet(changeSetId: string) {
    await this.call('executeChangeSet')
    this.stacks.set(this.stackOf(changeSetId), stackIn(this.stackOf(changeSetId), 'CREATE_IN_PROGRESS'))
  }
  async deleteChangeSet() {
    await this.call('deleteChangeSet')
  }
  async deleteStack(stackName: string) {
    await this.call('deleteStack')
    this.stacks.delete(stackName)
  }
  async continueUpdateRollback() {
    await this.call('continueUpdateRollback')
  }
  async eventsSince(): Promise<StackEvent[]> {
    await this.call('eventsSince')
    return []
  }
  async latestEvent(): Promise<StackEvent | undefined> {
    await this.call('latestEvent')
    return undefined
  }
  async setTerminationProtection() {
    await this.call('setTerminationProtection')
  }
  async getStackPolicy() {
    await this.call('getStackPolicy')
    return undefined
  }
  async setStackPolicy() {
    await this.call('setStackPolicy')
  }
  async detectDrift(): Promise<string> {
    throw new Error('not used')
  }
  async driftDetectionStatus(): Promise<never> {
    throw new Error('not used')
  }
  async resourceDrifts(): Promise<never> {
    throw new Error('not used')
  }
}

/** Sleeps end at once, or with InterruptedError once the signal fired, as systemClock's do. */
const clock: Clock = {
  now: () => new Date('2026-11-02T10:00:00Z'),
  sleep: (_ms, signal) => (signal?.aborted ? Promise.reject(new InterruptedError()) : new Promise((resolve) => setImmediate(resolve))),
}

function setUp(options: {protectedEnv?: boolean; body?: string; approve?: () => Promise<{approved: boolean}>} = {}) {
  const api = new FakeCloudFormation()
  const controller = new AbortController()
  const audit: AuditEntry[] = []
  const artifacts: ArtifactStore = {
    putTemplate: async () => {
      api.calls.push('putTemplate')
      await api.during.putTemplate?.()
      return {url: 'https://bucket.s3.amazonaws.com/t', createdBucket: false, uploaded: true}
    },
  }
  const context: StackDeployContext = {
    api,
    artifacts: async () => artifacts,
    reporter: {emit: () => undefined, close: async () => undefined},
    audit: {record: (entry) => audit.push(entry)},
    approver: {approve: options.approve ?? (async () => ({approved: true}))},
    clock,
    signal: controller.signal,
    options: {envName: 'dev', protectedEnv: options.protectedEnv ?? false, dryRun: false, allowReplacement: false, force: false, artifactBucket: 'bucket', polling: {initialMs: 1, maxMs: 1}},
  }
  const deploy = () =>
    deployStack({stackName: NAME, template: parseTemplate(options.body ?? TOPIC, 'apps.yaml'), parameters: {}, effectiveParameters: {}, tags: {}}, context)
  const changingAfter = (call: string) => api.calls.slice(api.calls.indexOf(call) + 1).filter((name) => CHANGING.includes(name))
  return {api, controller, audit, context, deploy, changingAfter}
}

const auditOf = (audit: AuditEntry[]) => audit.map((entry) => [entry.action, entry.result])

describe('Ctrl-C in deployStack', () => {
  it('abandons the first read when Ctrl-C comes while it hangs, and starts nothing', async () => {
    const {api, controller, audit, deploy} = setUp()
    api.during.describeStack = () => {
      controller.abort()
      return never()
    }
    const result = await deploy()

    expect(result).toMatchObject({outcome: 'skipped', detail: 'Ctrl-C: no change set was executed'})
    expect(api.calls).toEqual(['describeStack'])
    expect(audit).toEqual([])
  })

  it('deletes a change set whose creation was in flight at Ctrl-C, with its empty stack, and never executes it', async () => {
    const {api, controller, audit, deploy, changingAfter} = setUp()
    api.during.createChangeSet = () => controller.abort()
    const result = await deploy()

    expect(result).toMatchObject({outcome: 'skipped', detail: 'Ctrl-C: its change set was deleted before execution'})
    expect(api.calls).toEqual(['describeStack', 'createChangeSet', 'deleteChangeSet', 'deleteStack'])
    expect(changingAfter('createChangeSet')).toEqual(['deleteStack'])
    expect(auditOf(audit)).toEqual([
      ['create-change-set', 'ok'],
      ['delete-change-set', 'ok'],
      ['delete-stack', 'ok'],
    ])
  })

  it('does not execute a change set when Ctrl-C comes at the approval, with no read after it', async () => {
    const {api, controller, deploy} = setUp({
      protectedEnv: true,
      approve: async () => {
        controller.abort()
        return {approved: true}
      },
    })
    const result = await deploy()

    expect(result.outcome).toBe('skipped')
    expect(api.calls).toEqual(['describeStack', 'createChangeSet', 'describeChangeSet', 'deleteChangeSet', 'deleteStack'])
  })

  it('creates no change set when Ctrl-C comes while a large template uploads', async () => {
    const {api, controller, deploy} = setUp({body: `${TOPIC}Description: ${'x'.repeat(52_000)}\n`})
    api.during.putTemplate = () => controller.abort()
    const result = await deploy()

    expect(result.outcome).toBe('skipped')
    expect(api.calls).toEqual(['describeStack', 'putTemplate'])
  })

  it('does not delete a failed stack for recreation when Ctrl-C comes at its approval', async () => {
    const {api, controller, deploy} = setUp({
      approve: async () => {
        controller.abort()
        return {approved: true}
      },
    })
    api.stacks.set(NAME, stackIn(NAME, 'ROLLBACK_COMPLETE'))
    const result = await deploy()

    expect(result.outcome).toBe('skipped')
    expect(api.calls).toEqual(['describeStack'])
  })

  it('does not continue a failed rollback when Ctrl-C comes at its approval', async () => {
    const {api, controller, deploy} = setUp({
      protectedEnv: true,
      approve: async () => {
        controller.abort()
        return {approved: true}
      },
    })
    api.stacks.set(NAME, stackIn(NAME, 'UPDATE_ROLLBACK_FAILED'))
    const result = await deploy()

    expect(result.outcome).toBe('skipped')
    expect(api.calls).toEqual(['describeStack'])
  })

  it('reports a stack whose execution was in flight at Ctrl-C as going on, without waiting for it', async () => {
    const {api, controller, audit, deploy} = setUp()
    api.during.executeChangeSet = () => controller.abort()
    // Following the stack would hang: the result must come from the Ctrl-C, not from the stack.
    api.during.eventsSince = never
    api.during.describeStack = () => (api.calls.includes('executeChangeSet') ? never() : undefined)
    const result = await deploy()

    expect(result).toMatchObject({outcome: 'interrupted', detail: 'stopped waiting; the operation goes on in CloudFormation'})
    expect(api.calls).toEqual(['describeStack', 'createChangeSet', 'describeChangeSet', 'executeChangeSet'])
    expect(auditOf(audit)).toEqual([
      ['create-change-set', 'ok'],
      ['execute-change-set', 'in-progress'],
    ])
  })

  it('stops following an operation at once when Ctrl-C comes in the middle of a slow read', async () => {
    const {api, controller, deploy} = setUp()
    api.during.eventsSince = () => {
      controller.abort()
      return never()
    }
    const result = await deploy()

    expect(result.outcome).toBe('interrupted')
    expect(api.calls.at(-1)).toBe('eventsSince')
  })

  it('lists a changing call in inFlight while it is unanswered, for a forced exit to audit', async () => {
    const {api, context} = setUp()
    const inFlight = new Set<AuditEntry>()
    const seen: AuditEntry[][] = []
    api.during.createChangeSet = () => void seen.push([...inFlight])
    api.during.executeChangeSet = () => void seen.push([...inFlight])
    api.during.describeChangeSet = () => void seen.push([...inFlight])
    api.during.eventsSince = () => api.finishAll()
    await deployStack({stackName: NAME, template: parseTemplate(TOPIC, 'apps.yaml'), parameters: {}, effectiveParameters: {}, tags: {}}, {...context, inFlight})

    expect(seen).toEqual([
      [{env: 'dev', stack: NAME, action: 'create-change-set', result: 'in-progress', detail: 'no change set id yet'}],
      [],
      [{env: 'dev', stack: NAME, action: 'execute-change-set', result: 'in-progress', detail: `arn:changeSet/${NAME}`}],
    ])
    expect(inFlight.size).toBe(0)
  })
})

describe('Ctrl-C in runDeploy', () => {
  const CONFIG = `polling: {initialMs: 1, maxMs: 1}
environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    tags: {Environment: dev, CostCenter: c, Owner: o, Service: s, DataClassification: d}
stages:
  - name: one
    stacks:
      - {id: a, template: t.yaml}
      - {id: b, template: t.yaml}
  - name: two
    stacks:
      - {id: c, template: t.yaml}
`

  it('starts no queued stack and no later stage, and says the run was interrupted', async () => {
    const loaded = loadConfig(makeProject({'fintech.config.yaml': CONFIG, 't.yaml': TOPIC}))
    const plan = planEnvironment(loaded, resolveEnv(loaded, 'dev'), loaded.config.stages)
    const {api, controller, context} = setUp()
    const created: string[] = []
    api.createChangeSet = async (input) => {
      created.push(input.stackName)
      controller.abort()
      return {id: `arn:changeSet/${input.stackName}`}
    }
    const result = await runDeploy(plan, new Map(), {...context, concurrency: 1})

    expect(created).toEqual(['fintech-dev-one-a'])
    expect(result.interrupted).toBe(true)
    expect(result.stages.map((stage) => stage.stacks.map((stack) => [stack.stackName, stack.outcome, stack.detail]))).toEqual([
      [
        ['fintech-dev-one-a', 'skipped', 'Ctrl-C: its change set was deleted before execution'],
        ['fintech-dev-one-b', 'skipped', 'not started: Ctrl-C'],
      ],
      [['fintech-dev-two', 'skipped', 'not started: Ctrl-C']],
    ])
  })

  it('is not interrupted when Ctrl-C comes after every stack is done', async () => {
    const loaded = loadConfig(makeProject({'fintech.config.yaml': CONFIG, 't.yaml': TOPIC}))
    const plan = planEnvironment(loaded, resolveEnv(loaded, 'dev'), loaded.config.stages)
    const {api, controller, context} = setUp()
    api.during.eventsSince = () => api.finishAll()
    let stacks = 0
    const reporter = {
      emit: (event: {kind: string}) => {
        if (event.kind === 'stack-done' && ++stacks === 3) controller.abort()
      },
      close: async () => undefined,
    }
    const result = await runDeploy(plan, new Map(), {...context, reporter, concurrency: 1})

    expect(result.stages.flatMap((stage) => stage.stacks.map((stack) => stack.outcome))).toEqual(['created', 'created', 'created'])
    expect(result.interrupted).toBe(false)
  })
})
