import {describe, expect, it} from 'vitest'
import {InterruptedError} from '../../src/core/clock.js'
import {InputError} from '../../src/core/errors.js'
import type {FoundResource, ResourceSource, Tags} from '../../src/core/tags/api.js'
import {buildAuditReport, percentOf} from '../../src/core/tags/audit.js'
import {collectInventory, type Inventory} from '../../src/core/tags/inventory.js'
import {DEFAULT_TAGGING_RATE, taggingRate, TokenBucket} from '../../src/core/tags/pacing.js'
import {checkTags, relevantKeys, resourceTypeOf, type TagPolicy} from '../../src/core/tags/policy.js'
import {fakeClock} from '../helpers/fake-account.js'

const POLICY: TagPolicy = {
  required: ['Environment', 'CostCenter', 'Owner', 'Service', 'DataClassification'],
  allowedValues: {Environment: ['management', 'dev', 'test', 'prod'], DataClassification: ['public', 'internal', 'confidential', 'restricted']},
}
const GOOD: Tags = {Environment: 'dev', CostCenter: 'CC-1', Owner: 'payments', Service: 'ledger', DataClassification: 'internal'}

describe('checkTags', () => {
  it('accepts every required tag with an allowed value, whatever else the resource carries', () => {
    expect(checkTags(POLICY, {...GOOD, Name: 'x', 'aws:cloudformation:stack-name': 's'})).toEqual([])
  })

  it('names missing, empty and not-allowed values in the order of the required tags', () => {
    expect(checkTags(POLICY, {Environment: 'staging', Owner: '  ', DataClassification: 'secret', CostCenter: 'CC-1'})).toEqual([
      {tag: 'Environment', problem: 'invalid', value: 'staging'},
      {tag: 'Owner', problem: 'empty', value: '  '},
      {tag: 'Service', problem: 'missing'},
      {tag: 'DataClassification', problem: 'invalid', value: 'secret'},
    ])
  })

  it('says where a key differs only in case, since AWS tag keys are case-sensitive', () => {
    const {Environment: _, ...rest} = GOOD
    expect(checkTags(POLICY, {...rest, environment: 'dev'})).toEqual([{tag: 'Environment', problem: 'missing', foundAs: 'environment'}])
  })

  it('takes any non-empty value for tags without allowed values', () => {
    expect(checkTags(POLICY, {...GOOD, CostCenter: 'anything at all'})).toEqual([])
  })
})

describe('resourceTypeOf', () => {
  it.each([
    ['arn:aws:ec2:eu-west-1:111111111111:instance/i-1', 'ec2:instance'],
    ['arn:aws:ec2:eu-west-1:111111111111:security-group/sg-1', 'ec2:security-group'],
    ['arn:aws:rds:eu-west-1:111111111111:cluster:ledger', 'rds:cluster'],
    ['arn:aws:rds:eu-west-1:111111111111:db:ledger-1', 'rds:db'],
    ['arn:aws:s3:::fintech-artifacts', 's3:bucket'],
    ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/public/abc', 'elasticloadbalancing:loadbalancer'],
    ['arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/ledger', 'logs:log-group'],
    ['arn:aws:dynamodb:eu-west-1:111111111111:table/sessions', 'dynamodb:table'],
    ['arn:aws:ecs:eu-west-1:111111111111:service/fintech-dev/ledger', 'ecs:service'],
    ['arn:aws:sns:eu-west-1:111111111111:alarms', 'sns:topic'],
    ['arn:aws:sqs:eu-west-1:111111111111:jobs', 'sqs:queue'],
    ['arn:aws:lambda:eu-west-1:111111111111:function:ledger-export', 'lambda:function'],
    ['arn:aws:apigateway:eu-west-1::/restapis/a1b2c3', 'apigateway:restapis'],
    ['arn:aws:iam::111111111111:root', 'iam'],
  ])('%s is %s', (arn, type) => {
    expect(resourceTypeOf(arn)).toBe(type)
  })
})

describe('relevantKeys', () => {
  const kept = (keep: (key: string) => boolean) =>
    ['Environment', 'environment', 'Owner', 'Name', 'aws:cloudformation:stack-name', 'aws:cloudformation:stack-id', 'team'].filter(keep)

  it("keeps the required tags, keys that differ from them only in case, and the stack's tags for fix", () => {
    expect(kept(relevantKeys(POLICY))).toEqual(['Environment', 'environment', 'Owner', 'aws:cloudformation:stack-name', 'aws:cloudformation:stack-id'])
  })

  it("leaves the stack's tags out for the audit, and keeps the keys fix's rules match on", () => {
    expect(kept(relevantKeys(POLICY, {stackTags: false}))).toEqual(['Environment', 'environment', 'Owner'])
    expect(kept(relevantKeys(POLICY, {stackTags: false, extraKeys: ['team']}))).toEqual(['Environment', 'environment', 'Owner', 'team'])
  })
})

describe('pacing', () => {
  it('reads FINTECH_TAGGING_TPS, defaulting to 5 requests a second', () => {
    expect(taggingRate(undefined)).toBe(DEFAULT_TAGGING_RATE)
    expect(taggingRate('')).toBe(5)
    expect(taggingRate('2.5')).toBe(2.5)
    for (const bad of ['0', '-1', 'fast', 'Infinity']) expect(() => taggingRate(bad)).toThrow(InputError)
  })

  it('lets a burst of `rate` requests through, then spaces them 1/rate apart', async () => {
    const clock = fakeClock()
    const sleeps: number[] = []
    const bucket = new TokenBucket({now: clock.now, sleep: async (ms) => (sleeps.push(ms), clock.advance(ms))}, 5)
    const started = clock.now().getTime()
    for (let request = 0; request < 12; request++) await bucket.take()
    // 5 at once, then 7 more at 200 ms each: 12 requests take 1.4 s, never more than 5 in any second after the first.
    expect(sleeps).toEqual([200, 200, 200, 200, 200, 200, 200])
    expect(clock.now().getTime() - started).toBe(1400)
    expect(bucket.waited()).toBe(1400)
  })

  it('refills while the caller is busy elsewhere, so slow pages are not slowed further', async () => {
    const clock = fakeClock()
    const sleeps: number[] = []
    const bucket = new TokenBucket({now: clock.now, sleep: async (ms) => (sleeps.push(ms), clock.advance(ms))}, 5, 1)
    await bucket.take()
    clock.advance(300)
    await bucket.take()
    await bucket.take()
    expect(sleeps).toEqual([200])
  })

  it('serves concurrent takers in order and stops waiting when interrupted', async () => {
    const clock = fakeClock()
    const controller = new AbortController()
    const bucket = new TokenBucket(
      {
        now: clock.now,
        sleep: async (ms, signal) => {
          if (signal?.aborted) throw new InterruptedError()
          clock.advance(ms)
        },
      },
      1,
    )
    const order: number[] = []
    await Promise.all([1, 2, 3].map((id) => bucket.take().then(() => order.push(id))))
    expect(order).toEqual([1, 2, 3])
    controller.abort()
    await expect(bucket.take(controller.signal)).rejects.toBeInstanceOf(InterruptedError)
  })
})

/** A source answering fixed pages, counting its requests and tag reads. */
function source(name: string, region: string, pages: FoundResource[][], tagsOf?: Record<string, Tags> | Error): ResourceSource & {tagReads: string[][]} {
  let requests = 0
  const tagReads: string[][] = []
  return {
    name,
    region,
    tagReads,
    requests: () => requests,
    async *pages() {
      for (const page of pages) {
        requests += 1
        if (page === FAIL) throw Object.assign(new Error('User is not authorized to perform logs:DescribeLogGroups'), {name: 'AccessDeniedException'})
        yield page
      }
    },
    ...(tagsOf
      ? {
          async tagsOf(arns: string[]) {
            requests += 1
            tagReads.push(arns)
            if (tagsOf instanceof Error) throw tagsOf
            return new Map(arns.filter((arn) => tagsOf[arn]).map((arn) => [arn, tagsOf[arn]!]))
          },
        }
      : {}),
  }
}
const FAIL: FoundResource[] = []
const arn = (id: string) => `arn:aws:ec2:eu-west-1:111111111111:volume/${id}`
const logArn = (name: string) => `arn:aws:logs:eu-west-1:111111111111:log-group:${name}`

describe('collectInventory', () => {
  const keep = relevantKeys(POLICY)

  it('merges the Tagging API and the listings by ARN, keeping only the tags that matter', async () => {
    const tagging = source('tagging-api', 'eu-west-1', [
      [{arn: arn('vol-1'), tags: {...GOOD, Name: 'data', 'aws:cloudformation:stack-name': 'fintech-dev-data'}}],
      [{arn: logArn('/ecs/ledger'), tags: {Owner: 'payments'}}],
    ])
    const ec2 = source('ec2', 'eu-west-1', [[{arn: arn('vol-1'), tags: {...GOOD, Name: 'data'}}, {arn: arn('vol-2'), tags: {}}]])
    const logs = source('logs', 'eu-west-1', [[{arn: logArn('/ecs/ledger')}, {arn: logArn('/never/tagged')}]], {[logArn('/never/tagged')]: {}})

    const inventory = await collectInventory({sources: [tagging, ec2, logs], keep, concurrency: 1})

    expect([...inventory.records.keys()].sort()).toEqual([arn('vol-1'), arn('vol-2'), logArn('/ecs/ledger'), logArn('/never/tagged')].sort())
    expect(inventory.records.get(arn('vol-1'))).toMatchObject({tags: GOOD, tagCount: 6, inTaggingApi: true})
    expect(inventory.records.get(arn('vol-2'))).toMatchObject({tags: {}, tagCount: 0, inTaggingApi: false})
    expect(inventory.records.get(logArn('/ecs/ledger'))!.tags).toEqual({Owner: 'payments'})
    // Tags are read only for the group no source brought tags for.
    expect(logs.tagReads).toEqual([[logArn('/never/tagged')]])
    expect(inventory.gaps).toEqual([])
    expect(inventory.sources).toEqual([
      {source: 'tagging-api', region: 'eu-west-1', requests: 2, resources: 2},
      {source: 'ec2', region: 'eu-west-1', requests: 1, resources: 2},
      {source: 'logs', region: 'eu-west-1', requests: 2, resources: 2},
    ])
  })

  it('trusts a service listing over the eventually consistent Tagging API, in whatever order they answer', async () => {
    for (const order of [0, 1]) {
      const tagging = source('tagging-api', 'eu-west-1', [[{arn: arn('vol-1'), tags: {Owner: 'old'}}]])
      const ec2 = source('ec2', 'eu-west-1', [[{arn: arn('vol-1'), tags: {Owner: 'new'}}]])
      const inventory = await collectInventory({sources: order === 0 ? [tagging, ec2] : [ec2, tagging], keep, concurrency: 1})
      expect(inventory.records.get(arn('vol-1'))!.tags).toEqual({Owner: 'new'})
    }
  })

  it('turns a failing source into a gap and keeps what the others found', async () => {
    const tagging = source('tagging-api', 'eu-west-1', [[{arn: arn('vol-1'), tags: GOOD}]])
    const logs = source('logs', 'eu-west-1', [FAIL])
    const progress: string[] = []
    const inventory = await collectInventory({sources: [tagging, logs], keep, concurrency: 2, progress: (line) => progress.push(line)})
    expect([...inventory.records.keys()]).toEqual([arn('vol-1')])
    expect(inventory.gaps).toEqual([{source: 'logs', region: 'eu-west-1', code: 'AccessDeniedException', message: 'User is not authorized to perform logs:DescribeLogGroups'}])
    expect(progress).toEqual(['logs eu-west-1: failed after 0 resources: AccessDeniedException: User is not authorized to perform logs:DescribeLogGroups'])
  })

  it('leaves out resources whose tags could not be read, and counts them in the gap', async () => {
    const denied = Object.assign(new Error('not allowed: logs:ListTagsForResource'), {name: 'AccessDeniedException'})
    const logs = source('logs', 'eu-west-1', [[{arn: logArn('/a')}, {arn: logArn('/b')}]], denied)
    const inventory = await collectInventory({sources: [logs], keep, concurrency: 1})
    expect(inventory.records.size).toBe(0)
    expect(inventory.gaps).toEqual([{source: 'logs', region: 'eu-west-1', code: 'AccessDeniedException', message: 'not allowed: logs:ListTagsForResource', resources: 2}])
  })

  it('puts a bucket in its own region, not the region of the listing', async () => {
    const s3 = source('s3', 'global', [[{arn: 'arn:aws:s3:::reports', region: 'us-east-1'}]], {'arn:aws:s3:::reports': {Owner: 'x'}})
    const inventory = await collectInventory({sources: [s3], keep, concurrency: 1})
    expect(inventory.records.get('arn:aws:s3:::reports')).toMatchObject({region: 'us-east-1', tags: {Owner: 'x'}})
  })

  it('stops at once when interrupted', async () => {
    const controller = new AbortController()
    controller.abort()
    const tagging = source('tagging-api', 'eu-west-1', [[{arn: arn('vol-1'), tags: GOOD}]])
    await expect(collectInventory({sources: [tagging], keep, concurrency: 1, signal: controller.signal})).rejects.toBeInstanceOf(InterruptedError)
  })

  it('reads only a page at a time: the next page is asked for after the previous one is absorbed', async () => {
    const seen: number[] = []
    let held = 0
    const streaming: ResourceSource = {
      name: 'tagging-api',
      region: 'eu-west-1',
      requests: () => 0,
      async *pages() {
        for (let page = 0; page < 5; page++) {
          held += 1
          yield Array.from({length: 100}, (_, index) => ({arn: arn(`vol-${page}-${index}`), tags: GOOD}))
          seen.push(held)
          held -= 1
        }
      },
    }
    const inventory = await collectInventory({sources: [streaming], keep, concurrency: 1})
    expect(inventory.records.size).toBe(500)
    expect(seen).toEqual([1, 1, 1, 1, 1])
  })
})

describe('buildAuditReport', () => {
  const inventoryOf = (entries: Array<[string, Tags, Partial<{inTaggingApi: boolean; tagCount: number}>?]>): Inventory => ({
    records: new Map(
      entries.map(([resource, tags, extra]) => [resource, {arn: resource, region: 'eu-west-1', tags, tagCount: Object.keys(tags).length, inTaggingApi: true, ...extra}]),
    ),
    sources: [],
    gaps: [],
  })

  it('counts per resource, owner, type and tag, lists only the non-compliant ones, sorted by ARN', () => {
    const report = buildAuditReport(
      inventoryOf([
        [arn('vol-3'), GOOD],
        [arn('vol-2'), {...GOOD, Environment: 'staging'}],
        [arn('vol-1'), {}, {inTaggingApi: false}],
        [logArn('/ecs/ledger'), {...GOOD, Owner: 'platform', DataClassification: ''}],
      ]),
      POLICY,
      {env: 'dev', account: '111111111111', regions: ['eu-west-1'], all: false, pacing: {requestsPerSecond: 5, waitedMs: 0}},
    )
    expect(report.summary).toEqual({resources: 4, compliant: 1, nonCompliant: 3, compliancePercent: 25, untagged: 1})
    expect(report.resources.map((resource) => resource.arn)).toEqual([arn('vol-1'), arn('vol-2'), logArn('/ecs/ledger')].sort())
    expect(report.resources.find((resource) => resource.arn === arn('vol-2'))).toEqual({
      arn: arn('vol-2'),
      type: 'ec2:volume',
      region: 'eu-west-1',
      owner: 'payments',
      compliant: false,
      issues: [{tag: 'Environment', problem: 'invalid', value: 'staging'}],
      tags: {...GOOD, Environment: 'staging'},
      untagged: false,
      foundBy: 'tagging-api',
    })
    // Most non-compliant first, then the biggest, then by name.
    expect(report.byOwner).toEqual([
      {owner: 'payments', resources: 2, compliant: 1, nonCompliant: 1, compliancePercent: 50},
      {owner: '(none)', resources: 1, compliant: 0, nonCompliant: 1, compliancePercent: 0},
      {owner: 'platform', resources: 1, compliant: 0, nonCompliant: 1, compliancePercent: 0},
    ])
    expect(report.byType).toEqual([
      {type: 'ec2:volume', resources: 3, compliant: 1, nonCompliant: 2, compliancePercent: 33.3},
      {type: 'logs:log-group', resources: 1, compliant: 0, nonCompliant: 1, compliancePercent: 0},
    ])
    expect(report.byTag).toEqual([
      {tag: 'Environment', missing: 1, empty: 0, invalid: 1},
      {tag: 'CostCenter', missing: 1, empty: 0, invalid: 0},
      {tag: 'Owner', missing: 1, empty: 0, invalid: 0},
      {tag: 'Service', missing: 1, empty: 0, invalid: 0},
      {tag: 'DataClassification', missing: 1, empty: 1, invalid: 0},
    ])
    expect(report.listed).toBe('non-compliant')
    expect(report.complete).toBe(true)
  })

  it('lists compliant resources too with `all`', () => {
    const report = buildAuditReport(inventoryOf([[arn('vol-1'), GOOD]]), POLICY, {env: 'dev', account: '1', regions: [], all: true, pacing: {requestsPerSecond: 5, waitedMs: 0}})
    expect(report.resources.map((resource) => resource.compliant)).toEqual([true])
    expect(report.summary.compliancePercent).toBe(100)
  })

  it('never rounds a non-compliant account up to 100%', () => {
    expect(percentOf(99_999, 100_000)).toBe(99.9)
    expect(percentOf(0, 0)).toBe(100)
    expect(percentOf(1, 3)).toBe(33.3)
  })
})
