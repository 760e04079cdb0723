/**
 * Ctrl-C during destroy: once it is pressed, no further DeleteStack is sent. The stack whose
 * deletion was sent goes on in CloudFormation (audited in-progress); the ones after it stay.
 */
import {describe, expect, it} from 'vitest'
import type {AuditEntry} from '../../src/core/audit/audit-log.js'
import type {StackApi, StackDescription} from '../../src/core/deploy/api.js'
import type {Clock} from '../../src/core/clock.js'
import {runDestroy, type DestroyTarget} from '../../src/core/destroy/run-destroy.js'
import type {StackJob} from '../../src/core/stages/plan.js'

const stackIn = (stackName: string): StackDescription => ({stackName, stackId: stackName, status: 'CREATE_COMPLETE', parameters: {}, tags: {}, outputs: {}, terminationProtection: false})
const target = (stackName: string): DestroyTarget => ({job: {id: stackName, stage: stackName, stackName} as StackJob, stack: stackIn(stackName), kept: [], lost: [], globalClusters: []})

/** Stacks in memory; `onEvents` runs inside DescribeStackEvents, where a test presses Ctrl-C. */
function fakeCloudFormation(names: string[], onEvents: (stackName: string) => void) {
  const live = new Set(names)
  const deletes: string[] = []
  const api = {
    async latestEvent() {
      return undefined
    },
    async deleteStack(stackName: string) {
      deletes.push(stackName)
      live.delete(stackName)
    },
    async describeStack(stackName: string) {
      return live.has(stackName) ? stackIn(stackName) : undefined
    },
    async eventsSince(stackName: string) {
      onEvents(stackName)
      return []
    },
  } as unknown as StackApi
  return {api, deletes}
}

const clock: Clock = {now: () => new Date('2026-12-04T12:00:00Z'), sleep: async () => undefined}

describe('runDestroy and Ctrl-C', () => {
  it('sends no further DeleteStack once Ctrl-C came while the deletion before it was finishing', async () => {
    const controller = new AbortController()
    const audit: AuditEntry[] = []
    // Ctrl-C arrives during the last read of the first deletion, once the stack is known gone: its wait ends normally.
    let computeReads = 0
    const {api, deletes} = fakeCloudFormation(['compute', 'data', 'network'], (stackName) => {
      if (stackName === 'compute' && ++computeReads === 2) controller.abort()
    })
    const results = await runDestroy([target('compute'), target('data'), target('network')], {
      stacksIn: () => api,
      reporter: {emit: () => undefined, close: async () => undefined},
      audit: {record: (entry) => audit.push(entry)},
      clock,
      signal: controller.signal,
      envName: 'dev',
      dryRun: false,
      polling: {initialMs: 1, maxMs: 1},
    })
    expect(deletes).toEqual(['compute'])
    expect(results.map((result) => [result.stackName, result.outcome, result.detail])).toEqual([
      ['compute', 'deleted', undefined],
      ['data', 'skipped', 'not started: Ctrl-C'],
      ['network', 'skipped', 'not started: Ctrl-C'],
    ])
    expect(audit.map((entry) => [entry.stack, entry.action, entry.result])).toEqual([['compute', 'delete-stack', 'ok']])
  })
})
