/**
 * A pick step exported to SSM Automation: an aws:executeScript step whose document validates
 * against the schema fixture, and whose Python (3.11, boto3) is compiled and run here with a
 * stand-in boto3 that answers from a table and records the calls it was asked to make.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Ajv} from 'ajv'
import {afterAll, describe, expect, it} from 'vitest'
import {loadRunbooks} from '../../../src/core/runbook/load.js'
import type {PickStep} from '../../../src/core/runbook/schema.js'
import {PICK_SCRIPT, pickAction} from '../../../src/core/runbook/ssm-pick.js'
import {exportSsm} from '../../../src/core/runbook/ssm.js'
import {runbookOf} from '../../helpers/runbook-fakes.js'

const SCHEMA = JSON.parse(readFileSync(new URL('../../fixtures/ssm-automation/automation-0.3.schema.json', import.meta.url), 'utf8')) as object
const validate = new Ajv({allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true}).compile(SCHEMA)

const PICKING = runbookOf(
  `  - name: instances
    kind: aws
    service: rds
    api: DescribeDBInstances
    outputs:
      Ids: {selector: '$.DBInstances[*].DBInstanceIdentifier', type: StringList}
  - name: least-lagged
    kind: pick
    items: '{{ steps.instances.outputs.Ids }}'
    given: '{{ params.target }}'
    order: lowest
    by:
      service: cloudwatch
      api: GetMetricStatistics
      parameters: {Namespace: AWS/RDS, Dimensions: [{Name: DBInstanceIdentifier, Value: '{{ item }}'}], Label: '{{ params.cluster }}/{{ item }}'}
      selector: $.Datapoints[0].Maximum`,
  "{cluster: {type: string, description: c}, target: {type: string, default: '', allowEmpty: true, description: t}}",
)

describe('SSM export of a pick step', () => {
  it('is an aws:executeScript step: SSM references in SSM spelling, {{ item }} left for the script, and the document validates', () => {
    const {document, unmappable} = exportSsm(PICKING)
    expect(unmappable).toEqual([])
    expect(document!.mainSteps[1]).toEqual({
      name: 'least_lagged',
      action: 'aws:executeScript',
      inputs: {
        Runtime: 'python3.11',
        Handler: 'pick',
        Script: PICK_SCRIPT,
        InputPayload: {
          step: 'least-lagged',
          items: '{{ instances.Ids }}',
          given: '{{ target }}',
          order: 'lowest',
          service: 'cloudwatch',
          api: 'GetMetricStatistics',
          parameters: {Namespace: 'AWS/RDS', Dimensions: [{Name: 'DBInstanceIdentifier', Value: '<<item>>'}], Label: '{{ cluster }}/<<item>>'},
          selector: '$.Datapoints[0].Maximum',
        },
      },
    })
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true)
  })

  it('reads the clock in the step before it, as every exported step does (the shipped failover\'s target), and its outputs are in the Payload', () => {
    const shipped = loadRunbooks(fileURLToPath(new URL('../../..', import.meta.url))).runbooks.get('failover')!
    const {document, unmappable} = exportSsm(shipped)
    expect(unmappable).toEqual([])
    const at = document!.mainSteps.findIndex((step) => step.name === 'target')
    expect(document!.mainSteps[at - 1]).toMatchObject({name: 'target_clock', inputs: {Handler: 'clock', InputPayload: {names: ['minus5m', 'now']}}})
    const target = document!.mainSteps[at]!
    expect(target.inputs.InputPayload).toMatchObject({
      items: '{{ readers.Available }}',
      given: '{{ targetInstance }}',
      order: 'lowest',
      parameters: {Dimensions: [{Name: 'DBInstanceIdentifier', Value: '<<item>>'}], StartTime: '{{ target_clock.minus5m }}', EndTime: '{{ target_clock.now }}'},
    })
    expect(target.outputs).toEqual([
      {Name: 'Instance', Selector: '$.Payload.item', Type: 'String'},
      {Name: 'ReplicaLag', Selector: '$.Payload.value', Type: 'Integer'},
    ])
    expect(document!.mainSteps.find((step) => step.name === 'failover')!.inputs.TargetDBInstanceIdentifier).toBe('{{ target.Instance }}')
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true)
  })

  it('names why it cannot map a selector the script cannot follow, or a timeout over 600 s', () => {
    const step = PICKING.steps[1] as PickStep
    expect(pickAction({...step, by: '$.items[?(@.x > 1)].y'})).toBe('the script SSM runs for a pick step follows a plain path of names and indexes ($.Datapoints[0].Maximum), not $.items[?(@.x > 1)].y')
    expect(pickAction({...step, timeout: 900})).toBe('aws:executeScript runs for 600 s at most; this step\'s timeout is 900 s')
  })
})

describe('the pick script (Python 3.11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-pick-py-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))
  writeFileSync(join(dir, 'pick.py'), PICK_SCRIPT)
  // Stands in for boto3 (botocore stays the real one, for xform_name): answers from ANSWERS by
  // the Value of the first dimension, and records each call with its parameters.
  writeFileSync(
    join(dir, 'boto3.py'),
    `import json, os
calls = []
class _Client:
    def __init__(self, service):
        self.service = service
    def __getattr__(self, method):
        def call(**parameters):
            calls.append({'service': self.service, 'method': method, 'parameters': parameters})
            value = json.loads(os.environ['ANSWERS']).get(parameters['Dimensions'][0]['Value'])
            return {'Datapoints': [] if value is None else [{'Maximum': value}]}
        return call
def client(service):
    return _Client(service)
`,
  )
  writeFileSync(
    join(dir, 'run.py'),
    `import json, sys
import boto3, pick
events = json.loads(sys.argv[1])
try:
    result = pick.pick(events, None)
except Exception as error:
    result = {'error': str(error)}
print(json.dumps({'result': result, 'calls': boto3.calls}))
`,
  )
  const run = (events: Record<string, unknown>, answers: Record<string, number | null> = {}) =>
    JSON.parse(execFileSync('python3', [join(dir, 'run.py'), JSON.stringify(events)], {cwd: dir, env: {...process.env, PYTHONPATH: dir, ANSWERS: JSON.stringify(answers)}, encoding: 'utf8'}))
  const BY_LAG = {
    step: 'target',
    order: 'lowest',
    service: 'cloudwatch',
    api: 'GetMetricStatistics',
    parameters: {Namespace: 'AWS/RDS', Dimensions: [{Name: 'DBInstanceIdentifier', Value: '<<item>>'}], StartTime: '2026-12-01T02:55:00.000Z', Period: 600, Label: 'lag of <<item>>'},
    selector: '$.Datapoints[0].Maximum',
  }

  it('compiles', () => {
    execFileSync('python3', ['-m', 'py_compile', join(dir, 'pick.py')])
  })

  it('calls the boto3 method of the API once per item, with the item filled, and picks the lowest value', () => {
    const {result, calls} = run({...BY_LAG, items: ['db-1', 'db-2', 'db-3'], given: ''}, {'db-1': 40, 'db-2': 8.5, 'db-3': null})
    expect(result).toEqual({item: 'db-2', value: 8.5})
    expect(calls).toEqual(
      ['db-1', 'db-2', 'db-3'].map((id) => ({
        service: 'cloudwatch',
        method: 'get_metric_statistics',
        parameters: {Namespace: 'AWS/RDS', Dimensions: [{Name: 'DBInstanceIdentifier', Value: id}], StartTime: '2026-12-01T02:55:00.000Z', Period: 600, Label: `lag of ${id}`},
      })),
    )
  })

  it('picks the highest with order highest, and the first of equals', () => {
    expect(run({...BY_LAG, order: 'highest', items: ['a', 'b', 'c'], given: ''}, {a: 3, b: 9, c: 9}).result).toEqual({item: 'b', value: 9})
  })

  it('takes the item given, refuses one that is not an item, and fails when no item has a value', () => {
    const given = run({...BY_LAG, items: ['db-1', 'db-2'], given: 'db-1'}, {'db-1': 40, 'db-2': 8})
    expect(given.result).toEqual({item: 'db-1', value: 40})
    expect(given.calls).toHaveLength(1)
    expect(run({...BY_LAG, items: ['db-1', 'db-2'], given: 'db-9'}).result).toEqual({error: 'target: db-9 is not one of the items (db-1, db-2)'})
    expect(run({...BY_LAG, items: ['db-1', 'db-2'], given: ''}).result).toEqual({error: 'target: none of db-1, db-2 has a value for $.Datapoints[0].Maximum'})
    expect(run({...BY_LAG, items: [], given: ''}).result).toEqual({error: 'target: no items to pick from'})
  })

  it('ranks by a field of each item when there is no call', () => {
    const {result, calls} = run({step: 'busiest', order: 'highest', items: [{name: 'a', running: 2}, {name: 'b', running: 7}, {name: 'c'}], given: '', selector: '$.running'})
    expect(result).toEqual({item: {name: 'b', running: 7}, value: 7})
    expect(calls).toEqual([])
  })
})
