import {describe, expect, it} from 'vitest'
import type {AuditEntry} from '../../src/core/audit/audit-log.js'
import {InterruptedError} from '../../src/core/clock.js'
import {InputError} from '../../src/core/errors.js'
import {activateCostAllocationTags} from '../../src/core/tags/activate.js'
import type {CostAllocationApi, CostAllocationTag, ServiceTagging, TagFailure, Tags, TagWriter} from '../../src/core/tags/api.js'
import {applyFix, groupChanges, planFix, ruleMatches, validateRules, type PlannedResource, type TagRule} from '../../src/core/tags/fix.js'
import type {ResourceRecord} from '../../src/core/tags/inventory.js'
import type {TagPolicy} from '../../src/core/tags/policy.js'

const POLICY: TagPolicy = {
  required: ['Environment', 'CostCenter', 'Owner', 'Service', 'DataClassification'],
  allowedValues: {Environment: ['management', 'dev', 'test', 'prod'], DataClassification: ['public', 'internal', 'confidential', 'restricted']},
}
const GOOD: Tags = {Environment: 'dev', CostCenter: 'CC-1', Owner: 'payments', Service: 'ledger', DataClassification: 'internal'}

const record = (arn: string, tags: Tags, region = 'eu-west-1'): ResourceRecord => ({arn, region, tags, tagCount: Object.keys(tags).length, inTaggingApi: true})
const volume = (id: string) => `arn:aws:ec2:eu-west-1:111111111111:volume/${id}`
const STACK = 'fintech-dev-data'
const STACK_TAGS = {...GOOD, Owner: 'ledger-team', Service: 'ledger', Extra: 'x'}
const RULES: TagRule[] = [
  {match: {resourceTypes: ['logs']}, set: {Service: 'logging'}},
  {match: {tags: {Team: 'payments'}}, set: {Owner: 'payments'}},
  {match: {}, set: {CostCenter: 'CC-0000', Owner: 'platform', Service: 'platform', DataClassification: 'confidential'}},
]

function stackReader(stacks: Record<string, Tags | undefined>) {
  const reads: string[] = []
  return {
    reads,
    read: async (region: string, stack: string) => {
      reads.push(`${region} ${stack}`)
      return stacks[stack]
    },
  }
}

const plan = (records: ResourceRecord[], overwrite = false, stacks: Record<string, Tags | undefined> = {[STACK]: STACK_TAGS}) => {
  const reader = stackReader(stacks)
  return planFix(records, {policy: POLICY, rules: RULES, envTags: {Environment: 'dev'}, envName: 'dev', stackTags: reader.read, overwrite}).then((result) => ({...result, reads: reader.reads}))
}

describe('planFix', () => {
  it("fills missing tags from the owning stack first, then the rules, then the env's Environment", async () => {
    const result = await plan([
      record(volume('vol-1'), {'aws:cloudformation:stack-name': STACK, Environment: 'dev'}),
      record('arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/ledger', {Team: 'payments'}),
    ])
    expect(result.resources).toEqual([
      {
        arn: 'arn:aws:ec2:eu-west-1:111111111111:volume/vol-1',
        type: 'ec2:volume',
        region: 'eu-west-1',
        changes: [
          {tag: 'CostCenter', new: 'CC-1', source: `stack:${STACK}`},
          {tag: 'Owner', new: 'ledger-team', source: `stack:${STACK}`},
          {tag: 'Service', new: 'ledger', source: `stack:${STACK}`},
          {tag: 'DataClassification', new: 'internal', source: `stack:${STACK}`},
        ],
      },
      {
        arn: 'arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/ledger',
        type: 'logs:log-group',
        region: 'eu-west-1',
        changes: [
          {tag: 'Environment', new: 'dev', source: 'env:dev'},
          {tag: 'CostCenter', new: 'CC-0000', source: 'rule:3'},
          {tag: 'Owner', new: 'payments', source: 'rule:2'},
          {tag: 'Service', new: 'logging', source: 'rule:1'},
          {tag: 'DataClassification', new: 'confidential', source: 'rule:3'},
        ],
      },
    ])
    expect(result.kept).toEqual([])
    expect(result.unresolved).toEqual([])
    expect(result.reads).toEqual([`eu-west-1 ${STACK}`])
  })

  it('asks each stack once, by its id when the resource names it, and skips stack values that are not allowed', async () => {
    const stackId = `arn:aws:cloudformation:eu-west-1:111111111111:stack/${STACK}/abc`
    const result = await plan(
      [
        record(volume('vol-1'), {'aws:cloudformation:stack-name': STACK, 'aws:cloudformation:stack-id': stackId}),
        record(volume('vol-2'), {'aws:cloudformation:stack-name': STACK, 'aws:cloudformation:stack-id': stackId}),
      ],
      false,
      {[stackId]: {...GOOD, DataClassification: 'top-secret'}},
    )
    expect(result.reads).toEqual([`eu-west-1 ${stackId}`])
    expect(result.resources[0]!.changes.find((change) => change.tag === 'DataClassification')).toEqual({tag: 'DataClassification', new: 'confidential', source: 'rule:3'})
  })

  it('keeps empty and not-allowed values without --overwrite, listing what would replace them', async () => {
    const result = await plan([record(volume('vol-1'), {...GOOD, Environment: 'staging', Owner: '', 'aws:cloudformation:stack-name': STACK})])
    expect(result.resources).toEqual([])
    expect(result.kept).toEqual([
      {arn: volume('vol-1'), tag: 'Environment', value: 'staging', proposed: 'dev', source: `stack:${STACK}`},
      {arn: volume('vol-1'), tag: 'Owner', value: '', proposed: 'ledger-team', source: `stack:${STACK}`},
    ])
  })

  it('never touches a valid value without --overwrite, even where the stack says otherwise', async () => {
    const result = await plan([record(volume('vol-1'), {...GOOD, Owner: 'someone', 'aws:cloudformation:stack-name': STACK})])
    expect(result.resources).toEqual([])
    expect(result.kept).toEqual([])
    expect(result.reads).toEqual([])
  })

  it('with --overwrite replaces bad values from any source, and valid ones only from the owning stack', async () => {
    const result = await plan(
      [
        record(volume('vol-1'), {...GOOD, Environment: 'staging', Owner: 'someone', 'aws:cloudformation:stack-name': STACK}),
        // Valid values with no stack: rules are defaults and leave them alone.
        record(volume('vol-2'), {...GOOD, Owner: 'someone', DataClassification: 'secret'}),
        record(volume('vol-3'), GOOD),
      ],
      true,
    )
    expect(result.resources).toEqual([
      {
        arn: volume('vol-1'),
        type: 'ec2:volume',
        region: 'eu-west-1',
        // Service is already the stack's value: no change.
        changes: [
          {tag: 'Environment', old: 'staging', new: 'dev', source: `stack:${STACK}`},
          {tag: 'Owner', old: 'someone', new: 'ledger-team', source: `stack:${STACK}`},
        ],
      },
      {arn: volume('vol-2'), type: 'ec2:volume', region: 'eu-west-1', changes: [{tag: 'DataClassification', old: 'secret', new: 'confidential', source: 'rule:3'}]},
    ])
  })

  it('lists tags no source has a value for, and stacks that are gone', async () => {
    const result = await planFix([record(volume('vol-1'), {'aws:cloudformation:stack-name': 'deleted-stack', Environment: 'bad'})], {
      policy: POLICY,
      rules: [],
      envTags: {Environment: 'dev'},
      envName: 'dev',
      stackTags: async () => undefined,
      overwrite: false,
    })
    expect(result.resources).toEqual([])
    expect(result.kept).toEqual([{arn: volume('vol-1'), tag: 'Environment', value: 'bad', proposed: 'dev', source: 'env:dev'}])
    expect(result.unresolved).toEqual([{arn: volume('vol-1'), type: 'ec2:volume', region: 'eu-west-1', tags: ['CostCenter', 'Owner', 'Service', 'DataClassification']}])
    expect(result.missingStacks).toEqual(['deleted-stack (eu-west-1)'])
  })

  it('matches rules by service or exact type and by every tag they name', () => {
    expect(ruleMatches({match: {resourceTypes: ['ec2']}, set: {}}, 'ec2:volume', {})).toBe(true)
    expect(ruleMatches({match: {resourceTypes: ['ec2:instance']}, set: {}}, 'ec2:volume', {})).toBe(false)
    expect(ruleMatches({match: {resourceTypes: ['ec2']}, set: {}}, 'ecs:service', {})).toBe(false)
    expect(ruleMatches({match: {tags: {Team: 'a', Tier: 'b'}}, set: {}}, 'ec2:volume', {Team: 'a'})).toBe(false)
    expect(ruleMatches({match: {tags: {Team: 'a', Tier: 'b'}}, set: {}}, 'ec2:volume', {Team: 'a', Tier: 'b'})).toBe(true)
  })

  it('rejects rules that set a tag that is not required or a value that is not allowed, naming the place', () => {
    const where = {file: 'fintech.config.yaml', lineOf: (path: Array<string | number>) => (path[2] === 1 ? 42 : undefined)}
    expect(() => validateRules(POLICY, [{match: {}, set: {Team: 'x'}}], where)).toThrow(InputError)
    expect(() => validateRules(POLICY, [{match: {}, set: {Team: 'x'}}], where)).toThrow(
      'fintech.config.yaml: tagging.rules[0].set.Team: Team is not one of requiredTags; tags fix writes only required tags',
    )
    expect(() => validateRules(POLICY, [RULES[0]!, {match: {}, set: {Environment: 'staging'}}], where)).toThrow(
      'fintech.config.yaml:42: tagging.rules[1].set.Environment: "staging" is not an allowed value of Environment (tagging.allowedValues)',
    )
    expect(() => validateRules(POLICY, RULES, where)).not.toThrow()
  })
})

/** A TagWriter recording its calls; `refuse` and `serviceRefuses` say which ARNs each refuses. */
function writer(options: {refuse?: Record<string, TagFailure>; serviceRefuses?: Record<string, TagFailure>; callFails?: Error; interruptAfter?: number} = {}) {
  const calls: Array<{region: string; arns: string[]; tags: Tags}> = []
  const serviceCalls: Array<{region: string; arns: string[]}> = []
  const api: TagWriter = {
    async tagResources(region, arns, tags) {
      if (options.interruptAfter !== undefined && calls.length >= options.interruptAfter) throw new InterruptedError()
      calls.push({region, arns, tags})
      if (options.callFails) throw options.callFails
      return new Map(arns.filter((arn) => options.refuse?.[arn]).map((arn) => [arn, options.refuse![arn]!]))
    },
    async tagThroughService(region, arns) {
      serviceCalls.push({region, arns})
      return new Map<string, ServiceTagging>(arns.map((arn) => [arn, {via: 'ec2:CreateTags', ...(options.serviceRefuses?.[arn] ? {failure: options.serviceRefuses[arn]} : {})}]))
    },
  }
  return {api, calls, serviceCalls}
}

const auditSink = () => {
  const lines: AuditEntry[] = []
  return {lines, record: (entry: AuditEntry) => void lines.push(entry)}
}

const planned = (count: number, tags: Tags, region = 'eu-west-1', prefix = 'vol'): PlannedResource[] =>
  Array.from({length: count}, (_, index) => ({
    arn: volume(`${prefix}-${String(index).padStart(3, '0')}`),
    type: 'ec2:volume',
    region,
    changes: Object.entries(tags).map(([tag, value]) => ({tag, new: value, source: 'rule:1'})),
  }))
const fixPlan = (resources: PlannedResource[]) => ({overwrite: false, resources, kept: [], unresolved: [], missingStacks: []})

describe('applyFix', () => {
  it('writes at most 20 ARNs a call, one group per region and tag set', async () => {
    const resources = [...planned(45, {Owner: 'a'}), ...planned(3, {Owner: 'b'}, 'eu-west-1', 'other'), ...planned(2, {Owner: 'a'}, 'us-east-1', 'global')]
    const {api, calls} = writer()
    const audit = auditSink()
    const run = await applyFix(fixPlan(resources), {writer: api, audit, envName: 'dev'})
    expect(calls.map((call) => [call.region, call.arns.length, call.tags])).toEqual([
      ['eu-west-1', 20, {Owner: 'a'}],
      ['eu-west-1', 20, {Owner: 'a'}],
      ['eu-west-1', 5, {Owner: 'a'}],
      ['eu-west-1', 3, {Owner: 'b'}],
      ['us-east-1', 2, {Owner: 'a'}],
    ])
    expect(run.batches).toBe(5)
    expect(run.results.every((result) => result.result === 'tagged' && result.via === 'TagResources')).toBe(true)
    expect(audit.lines).toHaveLength(50)
    expect(audit.lines[0]).toEqual({env: 'dev', action: 'tags-fix', resource: resources[0]!.arn, result: 'ok', detail: 'Owner=a (rule:1) via TagResources'})
  })

  it('groups resources by the exact tag set, whatever the order of the changes', () => {
    const first: PlannedResource = {arn: 'a', type: 't', region: 'r', changes: [{tag: 'Owner', new: 'x', source: 's'}, {tag: 'Service', new: 'y', source: 's'}]}
    const second: PlannedResource = {arn: 'b', type: 't', region: 'r', changes: [{tag: 'Service', new: 'y', source: 'rule:2'}, {tag: 'Owner', new: 'x', source: 'rule:1'}]}
    expect(groupChanges([first, second]).map((group) => group.resources.map((resource) => resource.arn))).toEqual([['a', 'b']])
  })

  it("retries what FailedResourcesMap names through the service's own call, and reports what both refused", async () => {
    const resources = planned(3, {Owner: 'a'})
    const [one, two] = resources.map((resource) => resource.arn)
    const {api, serviceCalls} = writer({
      refuse: {[one!]: {code: 'InternalServiceException', message: 'Service not yet supported'}, [two!]: {code: 'InvalidParameterException', message: 'bad'}},
      serviceRefuses: {[two!]: {code: 'InvalidVolume.NotFound', message: "The volume 'vol-001' does not exist."}},
    })
    const audit = auditSink()
    const run = await applyFix(fixPlan(resources), {writer: api, audit, envName: 'dev'})
    expect(serviceCalls).toEqual([{region: 'eu-west-1', arns: [one, two]}])
    expect(run.results).toEqual([
      {arn: one, result: 'tagged', via: 'ec2:CreateTags'},
      {
        arn: two,
        result: 'failed',
        error: "TagResources: InvalidParameterException: bad; ec2:CreateTags: InvalidVolume.NotFound: The volume 'vol-001' does not exist.",
      },
      {arn: resources[2]!.arn, result: 'tagged', via: 'TagResources'},
    ])
    expect(audit.lines.map((line) => line.result)).toEqual(['ok', 'failed', 'ok'])
  })

  it('treats a refused call as a refusal of each of its ARNs', async () => {
    const denied = Object.assign(new Error('not authorized to perform tag:TagResources'), {name: 'AccessDeniedException'})
    const {api, serviceCalls} = writer({callFails: denied})
    const run = await applyFix(fixPlan(planned(2, {Owner: 'a'})), {writer: api, audit: auditSink(), envName: 'dev'})
    expect(serviceCalls[0]!.arns).toHaveLength(2)
    expect(run.results.map((result) => result.via)).toEqual(['ec2:CreateTags', 'ec2:CreateTags'])
  })

  it('stops before the next batch when interrupted: the rest is not run and leaves no audit line', async () => {
    const {api, calls} = writer({interruptAfter: 1})
    const audit = auditSink()
    const run = await applyFix(fixPlan(planned(45, {Owner: 'a'})), {writer: api, audit, envName: 'dev'})
    expect(calls).toHaveLength(1)
    expect(run.interrupted).toBe(true)
    expect(run.results.filter((result) => result.result === 'tagged')).toHaveLength(20)
    expect(run.results.filter((result) => result.result === 'not-run')).toHaveLength(25)
    expect(audit.lines).toHaveLength(20)
  })
})

function costApi(tags: CostAllocationTag[], refuse: Record<string, string> = {}) {
  const activated: string[][] = []
  let requests = 0
  const api: CostAllocationApi = {
    async listTags(keys) {
      requests += 1
      return tags.filter((tag) => keys.includes(tag.key))
    },
    async activate(keys) {
      requests += 1
      activated.push(keys)
      return keys.filter((key) => refuse[key]).map((key) => ({key, code: 'TagKeysNotFound', message: refuse[key]!}))
    },
    requests: () => requests,
  }
  return {api, activated}
}

describe('activateCostAllocationTags', () => {
  const keys = POLICY.required
  const tags: CostAllocationTag[] = [
    {key: 'Environment', status: 'Active', type: 'UserDefined'},
    {key: 'CostCenter', status: 'Inactive', type: 'UserDefined', lastUsedDate: '2026-11-20T00:00:00Z'},
    {key: 'Owner', status: 'Inactive', type: 'UserDefined'},
  ]

  it('activates only the inactive keys, and reports active and never-seen ones', async () => {
    const {api, activated} = costApi(tags)
    const audit = auditSink()
    const run = await activateCostAllocationTags(api, keys, {dryRun: false, audit, envName: 'management'})
    expect(activated).toEqual([['CostCenter', 'Owner']])
    expect(run.tags).toEqual([
      {key: 'Environment', before: 'Active', result: 'already-active'},
      {key: 'CostCenter', before: 'Inactive', result: 'activated', lastUsedDate: '2026-11-20T00:00:00Z'},
      {key: 'Owner', before: 'Inactive', result: 'activated'},
      {key: 'Service', before: 'NotFound', result: 'not-found'},
      {key: 'DataClassification', before: 'NotFound', result: 'not-found'},
    ])
    expect(run.requests).toBe(2)
    expect(audit.lines).toEqual([
      {env: 'management', action: 'tags-activate', resource: 'cost-allocation-tag:CostCenter', result: 'ok', detail: 'Inactive → Active'},
      {env: 'management', action: 'tags-activate', resource: 'cost-allocation-tag:Owner', result: 'ok', detail: 'Inactive → Active'},
    ])
  })

  it('sends at most 20 keys a call', async () => {
    const many = Array.from({length: 45}, (_, index) => `Key${index}`)
    const {api, activated} = costApi(many.map((key) => ({key, status: 'Inactive', type: 'UserDefined'})))
    await activateCostAllocationTags(api, many, {dryRun: false, audit: auditSink(), envName: 'management'})
    expect(activated.map((batch) => batch.length)).toEqual([20, 20, 5])
  })

  it('reports the keys Cost Explorer refused', async () => {
    const {api} = costApi(tags, {Owner: 'The tag key was not found'})
    const audit = auditSink()
    const run = await activateCostAllocationTags(api, keys, {dryRun: false, audit, envName: 'management'})
    expect(run.tags.find((tag) => tag.key === 'Owner')).toEqual({key: 'Owner', before: 'Inactive', result: 'failed', error: 'TagKeysNotFound: The tag key was not found'})
    expect(audit.lines.map((line) => [line.resource, line.result])).toEqual([
      ['cost-allocation-tag:CostCenter', 'ok'],
      ['cost-allocation-tag:Owner', 'failed'],
    ])
  })

  it('changes nothing in a dry run', async () => {
    const {api, activated} = costApi(tags)
    const audit = auditSink()
    const run = await activateCostAllocationTags(api, keys, {dryRun: true, audit, envName: 'management'})
    expect(activated).toEqual([])
    expect(audit.lines).toEqual([])
    expect(run.tags.map((tag) => tag.result)).toEqual(['already-active', 'would-activate', 'would-activate', 'not-found', 'not-found'])
  })
})
