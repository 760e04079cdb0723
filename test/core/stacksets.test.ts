/**
 * The StackSet rollout's pure parts: the plan (what is compared, how missing instances group,
 * when nothing may be sent) and the run against a fake StackSetApi with a fake clock: Ctrl-C
 * stops the operation under way and waits for it, the timeout leaves it running.
 */
import {describe, expect, it} from 'vitest'
import type {AuditEntry} from '../../src/core/audit/audit-log.js'
import {loadConfig} from '../../src/core/config/load.js'
import {stackSetSchema} from '../../src/core/config/schema.js'
import {InterruptedError, type Clock} from '../../src/core/clock.js'
import type {AccountResult, StackSetApi} from '../../src/core/stacksets/api.js'
import type {DesiredStackSet} from '../../src/core/stacksets/desired.js'
import {planStackSet} from '../../src/core/stacksets/plan.js'
import {rolloutExitCode, runRollout} from '../../src/core/stacksets/run.js'
import {parseTemplate} from '../../src/core/template/parse.js'
import {ORG_CONFIG, orgProject} from '../helpers/org-project.js'

const TEMPLATE = `Parameters:
  EnvironmentName: {Type: String}
  Secret: {Type: String, NoEcho: true}
Resources:
  Topic: {Type: AWS::SNS::Topic}
`

function desired(overrides: Record<string, unknown> = {}): DesiredStackSet {
  const config = stackSetSchema.parse({name: 'fintech-baseline', stack: 'baseline', env: 'prod', organizationalUnits: ['ou-ab12-aaaaaaaa', 'ou-ab12-bbbbbbbb'], regions: ['eu-west-1', 'us-east-1'], ...overrides})
  return {
    config,
    stage: 'foundation',
    template: parseTemplate(TEMPLATE, 'baseline.yaml'),
    content: {name: config.name, templateBody: TEMPLATE, parameters: {EnvironmentName: 'prod', Secret: 's3cret'}, tags: {Environment: 'prod'}, autoDeployment: config.autoDeployment, description: 'baseline'},
    preferences: {maxConcurrentPercentage: 25, failureTolerancePercentage: 0, regionConcurrency: 'SEQUENTIAL', regionOrder: config.regions},
  }
}

const deployed = {
  name: 'fintech-baseline',
  status: 'ACTIVE',
  templateBody: TEMPLATE,
  parameters: {EnvironmentName: 'prod', Secret: '****'},
  tags: {Environment: 'prod'},
  autoDeployment: {enabled: true, retainStacksOnAccountRemoval: false},
  permissionModel: 'SERVICE_MANAGED',
}
const instance = (organizationalUnitId: string, region: string, account = '333333333333') => ({account, region, organizationalUnitId, status: 'CURRENT'})

describe('planStackSet', () => {
  it('has nothing to do when the deployed StackSet matches, a NoEcho value answered as **** included', () => {
    const plan = planStackSet(desired(), {
      stackSet: deployed,
      instances: ['ou-ab12-aaaaaaaa', 'ou-ab12-bbbbbbbb'].flatMap((ou) => ['eu-west-1', 'us-east-1'].map((region) => instance(ou, region))),
    })
    expect(plan.steps).toEqual([])
    expect(plan.parameterChanges).toEqual([])
  })

  it('creates instances by group of OUs missing the same regions', () => {
    const plan = planStackSet(desired(), {stackSet: deployed, instances: [instance('ou-ab12-aaaaaaaa', 'eu-west-1')]})
    expect(plan.steps.map(({action, organizationalUnits, regions}) => ({action, organizationalUnits, regions}))).toEqual([
      {action: 'create-instances', organizationalUnits: ['ou-ab12-aaaaaaaa'], regions: ['us-east-1']},
      {action: 'create-instances', organizationalUnits: ['ou-ab12-bbbbbbbb'], regions: ['eu-west-1', 'us-east-1']},
    ])
  })

  it('shows a template change as a line diff and updates only where the config\'s OUs have instances', () => {
    const plan = planStackSet(desired(), {
      stackSet: {...deployed, templateBody: TEMPLATE.replace('AWS::SNS::Topic', 'AWS::SQS::Queue')},
      instances: [instance('ou-ab12-aaaaaaaa', 'eu-west-1'), instance('ou-ab12-aaaaaaaa', 'us-east-1'), instance('ou-ab12-bbbbbbbb', 'eu-west-1'), instance('ou-ab12-bbbbbbbb', 'us-east-1'), instance('ou-ab12-zzzzzzzz', 'eu-west-1', '999999999999')],
    })
    expect(plan.templateDiff).toContain('-   Topic: {Type: AWS::SQS::Queue}')
    expect(plan.templateDiff).toContain('+   Topic: {Type: AWS::SNS::Topic}')
    expect(plan.steps).toEqual([{action: 'update-stack-set', token: expect.stringMatching(/^fintech-update-/), organizationalUnits: ['ou-ab12-aaaaaaaa', 'ou-ab12-bbbbbbbb'], regions: ['eu-west-1', 'us-east-1']}])
    expect(plan.untouched.map((left) => left.account)).toEqual(['999999999999'])
  })

  it('refuses a self-managed StackSet of the same name', () => {
    const plan = planStackSet(desired(), {stackSet: {...deployed, permissionModel: 'SELF_MANAGED'}, instances: []})
    expect(plan.refusal).toBe('StackSet fintech-baseline exists with SELF_MANAGED permission model; fintech rolls out SERVICE_MANAGED StackSets only: rename it in organization.stackSets or delete the other')
    expect(plan.steps).toEqual([])
  })
})

/** An operation that stays RUNNING until stopped (or for ever), with one account done and one under way. */
function fakeApi(options: {endsAfterStop: boolean}) {
  const calls: string[] = []
  let status = 'RUNNING'
  const accounts: AccountResult[] = [
    {account: '333333333333', region: 'eu-west-1', status: 'SUCCEEDED'},
    {account: '343434343434', region: 'eu-west-1', status: 'RUNNING'},
  ]
  const api: StackSetApi = {
    describeStackSet: async () => undefined,
    listInstances: async () => [],
    operations: async () => [],
    createStackSet: async () => void calls.push('createStackSet'),
    updateStackSet: async () => 'unused',
    createInstances: async ({operationId, organizationalUnits}) => (calls.push(`createInstances ${organizationalUnits.join(',')}`), operationId),
    describeOperation: async () => {
      calls.push('describeOperation')
      return {status}
    },
    operationResults: async () => accounts,
    stopOperation: async () => {
      calls.push('stopOperation')
      status = options.endsAfterStop ? 'STOPPED' : 'STOPPING'
      accounts[1] = {...accounts[1]!, status: 'CANCELLED'}
    },
  }
  return {api, calls}
}

/** Time moves only when the rollout sleeps; a sleep with a fired signal rejects as systemClock's does. */
function fakeClock(): Clock & {slept: number} {
  let now = Date.parse('2026-12-04T10:00:00Z')
  return {
    slept: 0,
    now: () => new Date(now),
    async sleep(ms, signal) {
      if (signal?.aborted) throw new InterruptedError()
      now += ms
      this.slept += ms
    },
  }
}

function deps(api: StackSetApi, clock: Clock, controller: AbortController) {
  const audit: AuditEntry[] = []
  return {audit, deps: {api, clock, polling: {initialMs: 1000, maxMs: 60_000}, signal: controller.signal, audit: {record: (entry: AuditEntry) => void audit.push(entry)}, envName: 'management', inFlight: new Set<AuditEntry>(), log: () => {}}}
}

describe('runRollout', () => {
  it('at Ctrl-C stops the operation under way once, waits for it to stop, and starts nothing after it (exit 130)', async () => {
    const {api, calls} = fakeApi({endsAfterStop: true})
    const controller = new AbortController()
    const clock = fakeClock()
    const sleep = clock.sleep.bind(clock)
    // The user presses Ctrl-C while the rollout waits for the first operation.
    clock.sleep = async (ms, signal) => {
      controller.abort()
      return sleep(ms, signal)
    }
    const wanted = desired({organizationalUnits: ['ou-ab12-aaaaaaaa']})
    const second = desired({name: 'fintech-baseline-2', organizationalUnits: ['ou-ab12-aaaaaaaa']})
    const {audit, deps: rolloutDeps} = deps(api, clock, controller)

    const runs = await runRollout(
      [
        {desired: wanted, plan: planStackSet(wanted, {stackSet: deployed, instances: []})},
        {desired: second, plan: planStackSet(second, {instances: []})},
      ],
      rolloutDeps,
    )

    expect(calls).toEqual(['createInstances ou-ab12-aaaaaaaa', 'describeOperation', 'describeOperation', 'stopOperation', 'describeOperation'])
    expect(runs.map((run) => run.steps.map((step) => step.outcome))).toEqual([['stopped'], ['not-started', 'not-started']])
    expect(runs[0]!.steps[0]!.accounts.map((account) => account.status)).toEqual(['SUCCEEDED', 'CANCELLED'])
    expect(audit.map((entry) => [entry.action, entry.result])).toEqual([
      ['StopStackSetOperation', 'ok'],
      ['CreateStackInstances', 'failed'],
    ])
    expect(rolloutExitCode(runs, controller.signal.aborted)).toBe(130)
  })

  it('past timeoutMinutes leaves the operation running, audits it in progress, and fails (exit 3 when an account was changed)', async () => {
    const {api, calls} = fakeApi({endsAfterStop: false})
    const clock = fakeClock()
    const wanted = desired({organizationalUnits: ['ou-ab12-aaaaaaaa'], timeoutMinutes: 5})
    const {audit, deps: rolloutDeps} = deps(api, clock, new AbortController())

    const runs = await runRollout([{desired: wanted, plan: planStackSet(wanted, {stackSet: deployed, instances: []})}], rolloutDeps)

    expect(runs[0]!.steps.map((step) => step.outcome)).toEqual(['timed-out'])
    expect(calls).not.toContain('stopOperation')
    expect(clock.slept).toBeGreaterThanOrEqual(5 * 60_000)
    expect(audit.map((entry) => [entry.action, entry.result])).toEqual([['CreateStackInstances', 'in-progress']])
    expect(rolloutExitCode(runs, false)).toBe(3)
  })
})

describe('organization.stackSets in the config', () => {
  it.each([
    [{maxConcurrentPercentage: 0}, 'maxConcurrentPercentage'],
    [{maxConcurrentPercentage: 101}, 'maxConcurrentPercentage'],
    [{failureTolerancePercentage: -1}, 'failureTolerancePercentage'],
    [{organizationalUnits: ['Prod']}, 'organizationalUnits'],
    [{regions: []}, 'regions'],
  ])('refuses %j', (overrides, key) => {
    const parsed = stackSetSchema.safeParse({name: 'fintech-baseline', stack: 'baseline', env: 'prod', organizationalUnits: ['ou-ab12-aaaaaaaa'], regions: ['eu-west-1'], ...overrides})
    expect(parsed.success).toBe(false)
    expect(parsed.error!.issues[0]!.path[0]).toBe(key)
  })
})

describe('organization in fintech.config.yaml', () => {
  const load = (config: string) => () => loadConfig(orgProject({'fintech.config.yaml': config}))

  it('names the file, line and key of a percentage out of range', () => {
    expect(load(ORG_CONFIG.replace('maxConcurrentPercentage: 50', 'maxConcurrentPercentage: 150'))).toThrow(
      /fintech\.config\.yaml:\d+: organization\.stackSets\[0\]\.maxConcurrentPercentage: .*100/,
    )
  })

  it('refuses a StackSet of a stack fed by other stacks\' outputs, and an unknown administrator', () => {
    const fedByOutput = ORG_CONFIG.replace('          EnvironmentName: {env: name}\n', '          EnvironmentName: {env: name}\n          BudgetUsd: {stackOutput: other.Budget}\n').replace(
      'stages:\n',
      'stages:\n  - name: first\n    stacks:\n      - id: other\n        template: templates/baseline.yaml\n        parameters: {EnvironmentName: dev, BudgetUsd: 1}\n',
    )
    expect(load(fedByOutput)).toThrow(/organization\.stackSets\[0\]\.stack: baseline takes BudgetUsd from other stacks' outputs, which a StackSet cannot give every account/)
    expect(load(ORG_CONFIG.replace('organization:\n', 'organization:\n  administrator: payer\n'))).toThrow(/organization\.administrator: no environment is called "payer"/)
  })
})
