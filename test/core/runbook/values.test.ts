import {describe, expect, it} from 'vitest'
import {compare, outputValue, resolveReferences, select, selectedText} from '../../../src/core/runbook/values.js'

const CLUSTER = {
  DBClusters: [
    {
      Status: 'available',
      DBClusterMembers: [
        {DBInstanceIdentifier: 'db-1', IsClusterWriter: true},
        {DBInstanceIdentifier: 'db-2', IsClusterWriter: false},
        {DBInstanceIdentifier: 'db-3', IsClusterWriter: false},
      ],
    },
  ],
}

describe('selectors', () => {
  it('pick paths and filters as SSM JSONPath does', () => {
    expect(select(CLUSTER, '$.DBClusters[0].Status')).toEqual(['available'])
    expect(select(CLUSTER, '$.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == false)].DBInstanceIdentifier')).toEqual(['db-2', 'db-3'])
  })

  it('count with .length(): the matches of a filter, or the items of an array', () => {
    expect(select(CLUSTER, '$.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == false)].length()')).toEqual([2])
    expect(select(CLUSTER, '$.DBClusters[0].DBClusterMembers[?(@.IsClusterWriter == true)].length()')).toEqual([1])
    expect(select(CLUSTER, '$.DBClusters[0].DBClusterMembers.length()')).toEqual([3])
    expect(select({TargetHealthDescriptions: []}, '$.TargetHealthDescriptions[?(@.TargetHealth.State != "healthy")].length()')).toEqual([0])
  })

  it('count nothing where the array itself is missing: no match, not zero', () => {
    expect(select({}, '$.MetricAlarms.length()')).toEqual([])
    expect(select({}, '$.TargetHealthDescriptions[?(@.TargetHealth.State != "healthy")].length()')).toEqual([])
    expect(select({MetricAlarms: []}, '$.MetricAlarms.length()')).toEqual([0])
  })

  it('compare the first match as text in waits and asserts, dates as ISO', () => {
    expect(selectedText({services: [{runningCount: 4}]}, '$.services[0].runningCount')).toBe('4')
    expect(selectedText({At: new Date('2026-12-01T03:00:00Z')}, '$.At')).toBe('2026-12-01T03:00:00.000Z')
    expect(selectedText({}, '$.missing')).toBeUndefined()
  })
})

describe('outputs', () => {
  it('are typed as declared', () => {
    expect(outputValue(CLUSTER, '$.DBClusters[0].Status')).toBe('available')
    expect(outputValue({Datapoints: [{Maximum: 12.7}]}, {selector: '$.Datapoints[0].Maximum', type: 'Integer'})).toBe(12)
    expect(outputValue(CLUSTER, {selector: '$.DBClusters[0].DBClusterMembers[*].DBInstanceIdentifier', type: 'StringList'})).toEqual(['db-1', 'db-2', 'db-3'])
    expect(outputValue({Names: ['a', 'b']}, {selector: '$.Names', type: 'StringList'})).toEqual(['a', 'b'])
    expect(outputValue(CLUSTER, {selector: '$.DBClusters[0].DBClusterMembers[0].IsClusterWriter', type: 'Boolean'})).toBe(true)
    expect(outputValue(CLUSTER, {selector: '$.DBClusters[0].DBClusterMembers[0]', type: 'StringMap'})).toEqual({DBInstanceIdentifier: 'db-1', IsClusterWriter: true})
  })

  it('are undefined when nothing matches, or the default given', () => {
    expect(outputValue({Datapoints: []}, {selector: '$.Datapoints[0].Sum', type: 'Integer'})).toBeUndefined()
    expect(outputValue({Datapoints: []}, {selector: '$.Datapoints[0].Sum', type: 'Integer', default: 0})).toBe(0)
  })
})

describe('references', () => {
  const context = {params: {count: 3, name: 'ledger'}, outputs: {cluster: {Writer: 'db-1', Names: ['x', 'y']}}, now: new Date('2026-12-01T03:00:00Z')}

  it('keep the type of a whole-string reference and make text of the rest', () => {
    expect(resolveReferences({n: '{{ params.count }}', s: '{{params.name}}-{{ params.count }}', list: ['{{ steps.cluster.outputs.Names }}'], t: '{{ time.minus15m }}'}, context)).toEqual({
      n: 3,
      s: 'ledger-3',
      list: [['x', 'y']],
      t: new Date('2026-12-01T02:45:00Z'),
    })
    expect(resolveReferences('alarms: {{ steps.cluster.outputs.Names }}', context)).toBe('alarms: x, y')
  })

  it('throw on what has no value, unless lenient, which leaves it as written', () => {
    expect(() => resolveReferences('{{ steps.later.outputs.X }}', context)).toThrow('{{ steps.later.outputs.X }}: step later has not run')
    expect(resolveReferences('to {{ steps.later.outputs.X }}', context, {lenient: true})).toBe('to {{ steps.later.outputs.X }}')
  })
})

describe('script comparisons', () => {
  it('compare numbers as numbers and anything else as text', () => {
    expect(compare('9', 'lessThan', 100)).toBe(true)
    expect(compare('100', 'lessThan', '9')).toBe(false)
    expect(compare('eu-west-1a', 'notEquals', 'eu-west-1b')).toBe(true)
    expect(compare('abc', 'greaterThan', 'abd')).toBe(false)
    expect(compare(1, 'equals', '1')).toBe(true)
    expect(compare('', 'equals', 0)).toBe(false)
  })
})
