import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {RUNBOOK_SERVICES, SDK_SERVICES, sdkApiModels, sdkInput, sdkOperations} from '../../src/aws/api-models.js'
import {apiProblems, type ApiModels} from '../../src/core/runbook/api-check.js'
import {loadRunbooks} from '../../src/core/runbook/load.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

const HEADER = `name: sample
title: Sample
description: d
whenToUse: w
severity: sev2
envs: [dev]
parameters:
  clusterId: {type: string, description: the cluster}
steps:
`

/** The problems of one runbook whose steps are `steps`, at file:line, as validate reports them. */
async function problemsOf(steps: string, models: ApiModels = sdkApiModels()): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'fintech-api-'))
  mkdirSync(join(root, 'runbooks'))
  writeFileSync(join(root, 'runbooks/sample.yaml'), `${HEADER}${steps}prose: p\n`)
  const set = loadRunbooks(root)
  expect(set.problems).toEqual([])
  return (await apiProblems(set, models)).map((problem) => `${problem.file}:${problem.line} ${problem.kind} ${problem.message}`)
}

describe('runbook API steps against the SDK models, offline', () => {
  it('names an operation the service does not have at its api line, with the nearest real one', async () => {
    const steps = `  - name: cluster
    kind: aws
    service: rds
    api: DescribeDBClusterz
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
`
    expect(await problemsOf(steps)).toEqual(['runbooks/sample.yaml:13 api step cluster: rds has no API DescribeDBClusterz (did you mean DescribeDBClusters?)'])
  })

  it('names a misspelt parameter at its own line, in wait and assert steps too', async () => {
    const steps = `  - name: cluster
    kind: assert
    service: rds
    api: DescribeDBClusters
    parameters:
      DBClusterIdentifer: '{{ params.clusterId }}'
    selector: $.DBClusters[0].Status
    expected: [available]
  - name: stable
    kind: wait
    service: ecs
    api: DescribeServices
    parameters: {Cluster: ledger, services: [ledger]}
    selector: $.services[0].status
    desiredValues: [ACTIVE]
`
    expect(await problemsOf(steps)).toEqual([
      'runbooks/sample.yaml:15 api step cluster: rds:DescribeDBClusters has no parameter DBClusterIdentifer (did you mean DBClusterIdentifier?)',
      'runbooks/sample.yaml:22 api step stable: ecs:DescribeServices has no parameter Cluster (did you mean cluster?)',
    ])
  })

  it('lists the parameters when no name is near, and checks members inside lists and structures', async () => {
    const steps = `  - name: metrics
    kind: aws
    service: cloudwatch
    api: GetMetricStatistics
    parameters:
      Namespace: AWS/ApplicationELB
      MetricName: HTTPCode_Target_5XX_Count
      Dimensions: [{Name: LoadBalancer, Vlaue: app/x}]
      StartTime: '{{ time.minus5m }}'
      EndTime: '{{ time.now }}'
      Period: 60
      Statistics: [Sum]
      Colour: blue
`
    expect(await problemsOf(steps)).toEqual([
      'runbooks/sample.yaml:17 api step metrics: cloudwatch:GetMetricStatistics has no member of Dimensions[0] Vlaue (did you mean Value?)',
      'runbooks/sample.yaml:22 api step metrics: cloudwatch:GetMetricStatistics has no parameter Colour (its parameters: Namespace, MetricName, StartTime, EndTime, Period, Dimensions, Statistics, ExtendedStatistics, Unit)',
    ])
  })

  it('leaves a value that is a reference alone, whatever shape the input expects there', async () => {
    const steps = `  - name: clusters
    kind: aws
    service: rds
    api: DescribeDBClusters
    parameters: {Filters: '{{ params.clusterId }}', DBClusterIdentifier: '{{ params.clusterId }}'}
`
    expect(await problemsOf(steps)).toEqual([])
  })

  it('follows recursive inputs only as deep as the parameters go (DynamoDB attribute values)', async () => {
    const steps = `  - name: put
    kind: aws
    service: dynamodb
    api: PutItem
    parameters:
      TableName: sessions
      Item:
        id: {S: '{{ params.clusterId }}'}
        meta: {M: {owner: {M: {name: {Sx: ops}}}}}
`
    expect(await problemsOf(steps)).toEqual(['runbooks/sample.yaml:18 api step put: dynamodb:PutItem has no member of Item.meta.M.owner.M.name Sx (did you mean S?)'])
  })

  it('names a service fintech cannot call at its service line: the nearest one, else the list', async () => {
    const steps = `  - name: typo
    kind: aws
    service: rdss
    api: DescribeDBClusters
  - name: other
    kind: aws
    service: kinesis
    api: ListStreams
`
    expect(await problemsOf(steps)).toEqual([
      'runbooks/sample.yaml:12 api step typo: fintech cannot call service rdss (did you mean rds?)',
      `runbooks/sample.yaml:16 api step other: fintech cannot call service kinesis (services: ${RUNBOOK_SERVICES.join(', ')})`,
    ])
  })

  it('imports the package of each service the runbooks use, once, and no other', async () => {
    const real = sdkApiModels()
    const loaded: string[] = []
    const counting: ApiModels = {
      services: real.services,
      operations: (service) => {
        loaded.push(service)
        return real.operations(service)
      },
      input: real.input,
    }
    const steps = `  - {name: a, kind: aws, service: rds, api: DescribeDBClusters}
  - {name: b, kind: aws, service: rds, api: DescribeDBInstances}
  - {name: c, kind: aws, service: sts, api: GetCallerIdentity}
`
    expect(await problemsOf(steps, counting)).toEqual([])
    expect(new Set(loaded)).toEqual(new Set(['rds', 'sts']))
  })

  it('passes every shipped runbook', async () => {
    const set = loadRunbooks(REPO)
    expect(set.runbooks.size).toBeGreaterThanOrEqual(5)
    expect(await apiProblems(set, sdkApiModels())).toEqual([])
  })

  it('reads the input model of every operation of every service a runbook may call', async () => {
    for (const [service, {load}] of Object.entries(SDK_SERVICES)) {
      const module = await load()
      const operations = sdkOperations(module)
      expect(operations.length, service).toBeGreaterThan(5)
      expect(operations).not.toContain('$')
      for (const api of operations) expect(['structure', 'value'], `${service}:${api}`).toContain(sdkInput(module, service, api).kind)
    }
    const input = sdkInput(await SDK_SERVICES.rds!.load(), 'rds', 'DescribeDBClusters')
    expect(input.kind === 'structure' && input.names).toEqual(['DBClusterIdentifier', 'Filters', 'MaxRecords', 'Marker', 'IncludeShared'])
  })
})
