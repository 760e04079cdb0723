import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv, type ErrorObject} from 'ajv'
import {describe, expect, it} from 'vitest'
import {loadRunbooks, parseRunbook} from '../../../src/core/runbook/load.js'
import type {Runbook} from '../../../src/core/runbook/schema.js'
import {exportSsm, type SsmDocument} from '../../../src/core/runbook/ssm.js'

/**
 * Every SSM document the exporter writes is checked against the SSM Automation document
 * schema (schemaVersion 0.3) kept as a fixture, written from AWS's documentation.
 */

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const SCHEMA = JSON.parse(readFileSync(new URL('../../fixtures/ssm-automation/automation-0.3.schema.json', import.meta.url), 'utf8')) as object

// strict: a typo in the schema itself (unknown keyword, a keyword without its type) fails here, not silently.
const ajv = new Ajv({allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true})
const validate = ajv.compile(SCHEMA)

const schemaErrors = (document: unknown): ErrorObject[] => (validate(document) ? [] : [...(validate.errors ?? [])])
const describeError = (error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`

const REFERENCE = /\{\{\s*([^{}\s]+)\s*\}\}/g

/** What JSON Schema cannot say: step names are unique, step targets exist, references resolve, defaults are allowed values. */
function crossReferenceProblems(document: SsmDocument): string[] {
  const problems: string[] = []
  const steps = document.mainSteps
  const position = new Map<string, number>()
  steps.forEach((step, index) => {
    if (position.has(step.name)) problems.push(`duplicate step name ${step.name}`)
    else position.set(step.name, index)
  })
  for (const step of steps) {
    const raw = step as unknown as Record<string, unknown>
    for (const field of ['onFailure', 'onCancel', 'nextStep'] as const) {
      const value = raw[field]
      if (typeof value !== 'string' || value === 'Abort' || value === 'Continue') continue
      const target = field === 'nextStep' ? value : value.replace(/^step:/, '')
      if (!position.has(target)) problems.push(`${step.name}.${field} goes to ${target}, which is not a step`)
    }
  }
  const referencesIn = (value: unknown): string[] => {
    if (typeof value === 'string') return [...value.matchAll(REFERENCE)].map((match) => match[1]!)
    if (Array.isArray(value)) return value.flatMap(referencesIn)
    if (value && typeof value === 'object') return Object.values(value).flatMap(referencesIn)
    return []
  }
  const checkReference = (where: string, reference: string, before: number) => {
    if (/^(global|automation|ssm):/.test(reference)) return
    const [head, output, ...rest] = reference.split('.')
    if (output === undefined) {
      if (!(head! in document.parameters)) problems.push(`${where}: {{ ${reference} }} is not a document parameter`)
      return
    }
    const source = position.get(head!)
    if (source === undefined || rest.length > 0) problems.push(`${where}: {{ ${reference} }} names no step output`)
    else if (source >= before) problems.push(`${where}: {{ ${reference} }} is the output of a step that has not run yet`)
    else if (!(steps[source]!.outputs ?? []).some((declared) => declared.Name === output)) problems.push(`${where}: step ${head} declares no output ${output}`)
  }
  for (const reference of referencesIn(document.assumeRole)) checkReference('assumeRole', reference, 0)
  steps.forEach((step, index) => {
    for (const reference of referencesIn(step.inputs)) checkReference(step.name, reference, index)
  })
  for (const [name, parameter] of Object.entries(document.parameters)) {
    if (parameter.allowedValues && parameter.default !== undefined && !parameter.allowedValues.includes(parameter.default as string)) problems.push(`parameter ${name}: default ${JSON.stringify(parameter.default)} is not an allowed value`)
    if (parameter.allowedPattern && parameter.default !== undefined && !new RegExp(parameter.allowedPattern).test(String(parameter.default))) problems.push(`parameter ${name}: default ${JSON.stringify(parameter.default)} does not match its allowedPattern`)
    if (parameter.type === 'String' && !parameter.allowedValues && !parameter.allowedPattern) problems.push(`parameter ${name}: a String parameter with neither allowedValues nor allowedPattern`)
  }
  return problems
}

/** Everything wrong with a document, as lines: ajv's errors first, then the cross-reference checks. */
const problemsOf = (document: SsmDocument) => [...schemaErrors(document).map(describeError), ...crossReferenceProblems(document)]

// --- the shipped runbooks -------------------------------------------------------------------

const shipped = loadRunbooks(REPO, ['dev', 'test', 'prod', 'management'])
const shippedExports = [...shipped.runbooks.values()].map((runbook) => ({name: runbook.name, ...exportSsm(runbook)}))
const shippedDocuments = shippedExports.flatMap((entry) => (entry.document ? [{name: entry.name, document: entry.document}] : []))

// --- runbooks built here, to cover every step kind and step option that maps -----------------

const HEADER = (name: string, parameters: string) => `name: ${name}\ntitle: ${name}\ndescription: d\nwhenToUse: w\nseverity: routine\nenvs: [dev]\n${parameters ? `parameters:\n${parameters}` : ''}steps:\n`

const built = (name: string, parameters: string, steps: string): Runbook => {
  const read = parseRunbook(`${HEADER(name, parameters)}${steps}prose: p\n`, `runbooks/${name}.yaml`)
  expect(read.problems).toEqual([])
  return read.runbook!
}

/** Every kind that maps: aws, wait, assert, approve, script, shell and redis status on tagged instances, a runbook call; with retries, timeouts, onFailure continue and step:X, end, typed outputs. */
const everyKind = () =>
  built(
    'every-kind',
    `  clusterId: {type: string, description: the cluster}
  size: {type: number, default: 2, description: tasks}
  dryRun: {type: boolean, default: false, description: dry run}
  mode: {type: enum, values: [fast, safe], default: safe, description: mode}
  note: {type: string, default: hello, description: a note}
`,
    `  - name: describe-cluster
    kind: aws
    service: rds
    api: DescribeDBClusters
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    retries: 2
    timeout: 30
    outputs:
      Status: $.DBClusters[0].Status
      Members: {selector: '$.DBClusters[0].DBClusterMembers', type: MapList}
      Count: {selector: '$.DBClusters[0].DBClusterMembers.length()', type: Integer}
      Encrypted: {selector: '$.DBClusters[0].StorageEncrypted', type: Boolean}
      Zones: {selector: '$.DBClusters[0].AvailabilityZones', type: StringList}
      Tags: {selector: '$.DBClusters[0].TagList[0]', type: StringMap}
  - name: cluster-available
    kind: wait
    service: rds
    api: DescribeDBClusters
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    selector: $.DBClusters[0].Status
    desiredValues: [available, 1]
    timeout: 600
    onFailure: step:tidy-up
  - name: cluster-engine
    kind: assert
    service: rds
    api: DescribeDBClusters
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    selector: $.DBClusters[0].Engine
    expected: [aurora-postgresql, 16]
    onFailure: continue
  - name: enough-members
    kind: script
    value: '{{ steps.describe-cluster.outputs.Count }}'
    greaterThanOrEqual: '{{ params.size }}'
    timeout: 60
    retries: 1
  - name: approve
    kind: approve
    summary: 'Scale {{ params.clusterId }} ({{ steps.describe-cluster.outputs.Status }}) in {{ params.mode }} mode: {{ params.note }}'
    timeout: 3600
  - name: uptime
    kind: shell
    command: uptime
    instanceTag: {key: 'fintech:component', value: redis}
    onFailure: continue
  - name: sentinel
    kind: redis
    operation: status
    instanceTag: {key: 'fintech:component', value: redis}
  - name: sentinel-named
    kind: redis
    operation: status
    parameters: {masterName: ledger}
    instanceTag: {key: 'fintech:component', value: redis}
    retries: 3
  - name: nested
    kind: runbook
    runbook: other
    parameters: {size: '{{ params.size }}', mode: fast, dryRun: '{{ params.dryRun }}', count: 3, flag: true}
    end: true
  - name: tidy-up
    kind: aws
    service: application-autoscaling
    api: RegisterScalableTarget
    parameters: {ServiceNamespace: ecs, ResourceId: service/c/s, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 0}
`,
  )

const COMPARISONS = ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual', 'equals', 'notEquals'] as const

/** One script step per comparison, against a number, a string and a parameter. */
const everyComparison = () =>
  built(
    'every-comparison',
    `  limit: {type: number, description: the limit}\n`,
    COMPARISONS.map((op, index) => `  - {name: check-${index}, kind: script, value: ${index % 2 ? "'{{ params.limit }}'" : index}, ${op}: ${index === 4 ? 'available' : index === 5 ? "'{{ params.limit }}'" : 10}}\n`).join(''),
  )

/** The smallest document: one call, no runbook parameters, nothing but the defaults. */
const smallest = () => built('smallest', '', `  - {name: only, kind: aws, service: ecs, api: ListClusters}\n`)

const builtDocuments = () =>
  [everyKind(), everyComparison(), smallest()].map((runbook) => {
    const exported = exportSsm(runbook)
    expect(exported.unmappable).toEqual([])
    return {name: runbook.name, document: exported.document!}
  })

type Loose = Record<string, any>

/** A copy of the every-kind document to break one thing of. */
const broken = (mutate: (document: Loose) => void): Loose => {
  const document = structuredClone(exportSsm(everyKind()).document!) as unknown as Loose
  mutate(document)
  return document
}
const stepIndex = (document: Loose, name: string) => (document.mainSteps as Loose[]).findIndex((step) => step.name === name)

describe('the SSM Automation schema fixture', () => {
  it('compiles in strict mode (no unknown keyword, every keyword with its type)', () => {
    expect(typeof validate).toBe('function')
    expect((SCHEMA as {$comment?: string}).$comment).toMatch(/Properties shared by all actions/)
  })
})

describe('the shipped runbooks export to documents that are valid SSM Automation documents', () => {
  it('loads the shipped runbooks without problems', () => {
    expect(shipped.problems).toEqual([])
    expect(shipped.runbooks.size).toBeGreaterThanOrEqual(5)
  })

  it('exports every runbook in runbooks/, failover and redis-failover included', () => {
    const files = readdirSync(join(REPO, 'runbooks')).filter((file) => file.endsWith('.yaml')).map((file) => file.replace(/\.yaml$/, ''))
    expect(files.length).toBeGreaterThanOrEqual(5)
    expect(shippedExports.map((entry) => entry.name).sort()).toEqual(files.sort())
    for (const entry of shippedExports) expect(entry.unmappable, entry.name).toEqual([])
    expect(shippedDocuments.map((entry) => entry.name)).toEqual(expect.arrayContaining(['failover', 'redis-failover']))
  })

  // Each one is validated.
  it.each(shippedDocuments.map((entry) => [entry.name, entry.document] as const))('runbooks/%s.yaml exports a valid document', (_, document) => {
    expect(problemsOf(document)).toEqual([])
  })
})

describe('runbooks covering every step kind that maps export to valid documents', () => {
  it.each(['every-kind', 'every-comparison', 'smallest'])('%s', (name) => {
    const {document} = builtDocuments().find((entry) => entry.name === name)!
    expect(problemsOf(document)).toEqual([])
  })

  it('the every-kind document has each action and step option the exporter writes', () => {
    const {document} = builtDocuments()[0]!
    expect(new Set(document.mainSteps.map((step) => step.action))).toEqual(
      new Set(['aws:executeAwsApi', 'aws:waitForAwsResourceProperty', 'aws:assertAwsResourceProperty', 'aws:executeScript', 'aws:approve', 'aws:runCommand', 'aws:executeAutomation']),
    )
    expect(new Set(document.mainSteps.map((step) => step.onFailure))).toEqual(new Set([undefined, 'step:tidy_up', 'Continue']))
    expect(document.mainSteps.some((step) => step.maxAttempts === 3)).toBe(true)
    expect(document.mainSteps.some((step) => step.timeoutSeconds === 30)).toBe(true)
    expect(document.mainSteps.some((step) => step.isEnd)).toBe(true)
    expect(new Set(Object.values(document.parameters).map((parameter) => parameter.type))).toEqual(new Set(['String', 'Integer', 'Boolean', 'StringList']))
  })

  it('an assert on a Boolean property exports its desired value as True, as SSM spells it', () => {
    const runbook = built('boolean-assert', '', `  - {name: encrypted, kind: assert, service: rds, api: DescribeDBClusters, selector: '$.DBClusters[0].StorageEncrypted', expected: [true]}\n`)
    const {document} = exportSsm(runbook)
    expect(document!.mainSteps[0]!.inputs.DesiredValues).toEqual(['True'])
    expect(problemsOf(document!)).toEqual([])
  })

  it('a script step with a timeout above 600 s is named unmappable: aws:executeScript would not give it that long', () => {
    const runbook = built('slow-script', '', `  - {name: slow, kind: script, value: 1, lessThan: 2, timeout: 900}\n`)
    const exported = exportSsm(runbook)
    expect(exported.document).toBeUndefined()
    expect(exported.unmappable).toEqual([{step: 'slow', kind: 'script', reason: "aws:executeScript runs for 600 s at most; this step's timeout is 900 s"}])
  })
})

describe('the schema has teeth', () => {
  it('the document the negative cases start from is valid', () => {
    expect(problemsOf(broken(() => {}) as unknown as SsmDocument)).toEqual([])
  })

  const failures: Array<[string, (document: Loose) => void, Partial<ErrorObject>]> = [
    ['an unknown action', (document) => void (document.mainSteps[0].action = 'aws:teleport'), {instancePath: '/mainSteps/0/action', keyword: 'enum'}],
    [
      'a waitForAwsResourceProperty without DesiredValues',
      (document) => void delete document.mainSteps[stepIndex(document, 'cluster_available')].inputs.DesiredValues,
      {instancePath: '/mainSteps/1/inputs', keyword: 'required', params: {missingProperty: 'DesiredValues'}},
    ],
    ['onFailure "retry"', (document) => void (document.mainSteps[0].onFailure = 'retry'), {instancePath: '/mainSteps/0/onFailure', keyword: 'pattern'}],
    ['a step name with a space', (document) => void (document.mainSteps[0].name = 'describe cluster'), {instancePath: '/mainSteps/0/name', keyword: 'pattern'}],
    ['a step name with a dash', (document) => void (document.mainSteps[0].name = 'describe-cluster'), {instancePath: '/mainSteps/0/name', keyword: 'pattern'}],
    ['schemaVersion "0.2"', (document) => void (document.schemaVersion = '0.2'), {instancePath: '/schemaVersion', keyword: 'const'}],
    ['an Integer parameter with a string default', (document) => void (document.parameters.size.default = '2'), {instancePath: '/parameters/size/default'}],
    ['a Boolean parameter with a string default', (document) => void (document.parameters.dryRun.default = 'false'), {instancePath: '/parameters/dryRun/default'}],
    ['an unknown parameter type', (document) => void (document.parameters.size.type = 'Number'), {instancePath: '/parameters/size/type', keyword: 'enum'}],
    ['an unknown step property', (document) => void (document.mainSteps[0].retries = 2), {instancePath: '/mainSteps/0', keyword: 'additionalProperties'}],
    ['maxAttempts 0', (document) => void (document.mainSteps[0].maxAttempts = 0), {instancePath: '/mainSteps/0/maxAttempts', keyword: 'minimum'}],
    ['an executeAwsApi without Api', (document) => void delete document.mainSteps[0].inputs.Api, {instancePath: '/mainSteps/0/inputs', keyword: 'required', params: {missingProperty: 'Api'}}],
    [
      'an assertAwsResourceProperty without PropertySelector',
      (document) => void delete document.mainSteps[stepIndex(document, 'cluster_engine')].inputs.PropertySelector,
      {instancePath: '/mainSteps/2/inputs', keyword: 'required', params: {missingProperty: 'PropertySelector'}},
    ],
    ['an approve without Approvers', (document) => void delete document.mainSteps[stepIndex(document, 'approve')].inputs.Approvers, {instancePath: '/mainSteps/4/inputs', keyword: 'required', params: {missingProperty: 'Approvers'}}],
    ['a runCommand with neither Targets nor InstanceIds', (document) => void delete document.mainSteps[stepIndex(document, 'uptime')].inputs.Targets, {instancePath: '/mainSteps/5/inputs', keyword: 'anyOf'}],
    ['an AWS-RunShellScript without commands', (document) => void delete document.mainSteps[stepIndex(document, 'uptime')].inputs.Parameters.commands, {instancePath: '/mainSteps/5/inputs/Parameters', keyword: 'required'}],
    ['an executeScript with neither Script nor Attachment', (document) => void delete document.mainSteps[stepIndex(document, 'enough_members')].inputs.Script, {instancePath: '/mainSteps/3/inputs', keyword: 'anyOf'}],
    ['an executeScript with an unknown runtime', (document) => void (document.mainSteps[stepIndex(document, 'enough_members')].inputs.Runtime = 'python2.7'), {instancePath: '/mainSteps/3/inputs/Runtime', keyword: 'enum'}],
    ['an executeAutomation without DocumentName', (document) => void delete document.mainSteps[stepIndex(document, 'nested')].inputs.DocumentName, {instancePath: '/mainSteps/8/inputs', keyword: 'required'}],
    ['an output of an unknown type', (document) => void (document.mainSteps[0].outputs[0].Type = 'Number'), {instancePath: '/mainSteps/0/outputs/0/Type', keyword: 'enum'}],
    ['no mainSteps', (document) => void delete document.mainSteps, {instancePath: '', keyword: 'required', params: {missingProperty: 'mainSteps'}}],
  ]

  it.each(failures)('rejects %s', (_, mutate, expected) => {
    const errors = schemaErrors(broken(mutate))
    expect(errors.length).toBeGreaterThan(0)
    expect(errors, errors.map(describeError).join('\n')).toContainEqual(expect.objectContaining(expected))
  })

  it('the cross-reference checks catch a step target and a reference that do not exist', () => {
    const document = broken((copy) => {
      copy.mainSteps[0].onFailure = 'step:nowhere'
      copy.mainSteps[0].inputs.DBClusterIdentifier = '{{ cluster }}'
      copy.mainSteps[stepIndex(copy, 'approve')].inputs.Message = '{{ describe_cluster.Nope }}'
    }) as unknown as SsmDocument
    expect(crossReferenceProblems(document)).toEqual([
      'describe_cluster.onFailure goes to nowhere, which is not a step',
      'describe_cluster: {{ cluster }} is not a document parameter',
      'approve: step describe_cluster declares no output Nope',
    ])
  })
})
