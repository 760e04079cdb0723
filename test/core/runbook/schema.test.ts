import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadRunbooks, parseRunbook} from '../../../src/core/runbook/load.js'

const REPO = fileURLToPath(new URL('../../..', import.meta.url))

/** A valid runbook; each test breaks one line of it. */
const VALID = `name: sample
title: Sample
description: d
whenToUse: w
severity: sev2
envs: [dev]
parameters:
  clusterId: {type: string, description: the cluster}
  maxLag: {type: number, default: 100, description: lag}
steps:
  - name: cluster
    kind: aws
    service: rds
    api: DescribeDBClusters
    parameters: {DBClusterIdentifier: '{{ params.clusterId }}'}
    outputs:
      Status: $.DBClusters[0].Status
  - name: check
    kind: script
    value: '{{ steps.cluster.outputs.Status }}'
    equals: available
    onFailure: step:cleanup
  - name: cleanup
    kind: approve
    summary: s
prose: |
  ## When
  now
`

const problemsOf = (text: string) => parseRunbook(text, 'runbooks/sample.yaml').problems.map((problem) => `${problem.file}:${problem.line} ${problem.kind} ${problem.message}`)

describe('runbook schema', () => {
  it('accepts the sample and applies the SSM defaults: abort, no retry', () => {
    const read = parseRunbook(VALID, 'runbooks/sample.yaml')
    expect(read.problems).toEqual([])
    expect(read.runbook?.steps[0]).toMatchObject({name: 'cluster', retries: 0, onFailure: 'abort', end: false})
  })

  it('names the line where a YAML syntax error is found (the unclosed list runs into line 7)', () => {
    expect(problemsOf(VALID.replace('envs: [dev]', 'envs: [dev'))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:7 parse Flow sequence/)])
  })

  it('rejects an unknown step kind at its line, listing the kinds', () => {
    expect(problemsOf(VALID.replace('kind: approve', 'kind: pray'))).toEqual(['runbooks/sample.yaml:24 schema unknown step kind "pray": one of aws, wait, assert, approve, shell, redis, runbook, script, pick'])
  })

  it('rejects a missing field and a misspelt one at the step', () => {
    expect(problemsOf(VALID.replace('    api: DescribeDBClusters\n', ''))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:11 schema steps\[0\]\.api: /)])
    expect(problemsOf(VALID.replace('    summary: s', '    summary: s\n    sumary: t'))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:26 schema steps\[2\]\.sumary: Unrecognized key: "sumary"/)])
  })

  it('rejects a missing top-level field', () => {
    expect(problemsOf(VALID.replace('severity: sev2\n', ''))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:1 schema severity: /)])
  })

  it('rejects duplicate step names at the second one', () => {
    expect(problemsOf(VALID.replace('  - name: cleanup', '  - name: check'))).toContain('runbooks/sample.yaml:23 schema duplicate step name check (also step 2)')
  })

  it('rejects references to unknown params, steps and outputs at their line', () => {
    expect(problemsOf(VALID.replace('params.clusterId', 'params.cluster'))).toEqual(['runbooks/sample.yaml:15 reference {{ params.cluster }}: no parameter cluster (parameters: clusterId, maxLag)'])
    expect(problemsOf(VALID.replace('steps.cluster.outputs', 'steps.clustre.outputs'))).toEqual(['runbooks/sample.yaml:20 reference {{ steps.clustre.outputs.Status }}: no step clustre'])
    expect(problemsOf(VALID.replace('outputs.Status', 'outputs.State'))).toEqual(['runbooks/sample.yaml:20 reference {{ steps.cluster.outputs.State }}: step cluster has no output State (outputs: Status)'])
    expect(problemsOf(VALID.replace("'{{ steps.cluster.outputs.Status }}'", "'{{ env }}'"))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:20 reference \{\{ env \}\}: a reference is /)])
  })

  it('rejects a step using the outputs of a later step, or its own', () => {
    const later = VALID.replace('    summary: s', "    summary: '{{ steps.cleanup.outputs.X }}'").replace("value: '{{ steps.cluster.outputs.Status }}'", "value: '{{ steps.cleanup.outputs.X }}'")
    expect(problemsOf(later)).toEqual([
      'runbooks/sample.yaml:20 reference {{ steps.cleanup.outputs.X }}: step cleanup runs after this one, so its outputs do not exist yet',
      'runbooks/sample.yaml:25 reference {{ steps.cleanup.outputs.X }}: step cleanup runs as this step, so its outputs do not exist yet',
    ])
  })

  it('rejects onFailure going to an unknown step', () => {
    expect(problemsOf(VALID.replace('step:cleanup', 'step:clean'))).toEqual(['runbooks/sample.yaml:22 reference onFailure goes to clean, which is not a step of this runbook'])
  })

  it('rejects a script step without exactly one comparison, and a name that is not the file name', () => {
    expect(problemsOf(VALID.replace('    equals: available\n', ''))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:18 schema steps\[1\]: a script step has exactly one of lessThan/)])
    expect(problemsOf(VALID.replace('name: sample', 'name: other'))).toEqual(['runbooks/sample.yaml:1 schema the runbook is called other but its file is sample.yaml: name it other.yaml'])
  })
})

const CALLER = (called: string, params = '{}') => `name: caller
title: t
description: d
whenToUse: w
severity: routine
envs: [dev, staging]
steps:
  - name: first
    kind: approve
    summary: s
  - name: call
    kind: runbook
    runbook: ${called}
    parameters: ${params}
prose: p
`

describe('runbook schema: secrets', () => {
  const SECRET = VALID.replace('  maxLag: {type: number, default: 100, description: lag}', '  maxLag: {type: number, default: 100, description: lag}\n  password: {type: string, description: the admin password, secret: true}').replace('      Status: $.DBClusters[0].Status', '      Status: $.DBClusters[0].Status\n      Endpoint: {selector: \'$.DBClusters[0].Endpoint\', secret: true}')

  it('takes secret: true on a parameter and on an output', () => {
    const read = parseRunbook(SECRET, 'runbooks/sample.yaml')
    expect(read.problems).toEqual([])
    expect(read.runbook?.parameters.password).toEqual({type: 'string', description: 'the admin password', secret: true})
    expect(read.runbook?.steps[0]?.outputs.Endpoint).toEqual({selector: '$.DBClusters[0].Endpoint', type: 'String', secret: true})
  })

  it('rejects a secret that is not true or false, at its line', () => {
    expect(problemsOf(SECRET.replace("Endpoint', secret: true}", "Endpoint', secret: yes}"))).toEqual([expect.stringMatching(/^runbooks\/sample\.yaml:19 schema steps\[0\]\.outputs\.Endpoint: /)])
  })

  it('rejects a default for a secret parameter: the file is no place for a secret', () => {
    expect(problemsOf(SECRET.replace('the admin password, secret: true}', 'the admin password, secret: true, default: hunter2}'))).toEqual([
      'runbooks/sample.yaml:10 schema a secret parameter has no default: a runbook file is no place for a secret (give it with --param, or a from source)',
    ])
  })

  it('rejects an empty default unless the parameter says an empty value is meant (allowEmpty)', () => {
    expect(problemsOf(VALID.replace('{type: string, description: the cluster}', "{type: string, description: the cluster, default: ''}"))).toEqual([
      'runbooks/sample.yaml:8 schema an empty default means "none given": say so with allowEmpty: true, or give a real default',
    ])
    expect(problemsOf(VALID.replace('{type: string, description: the cluster}', "{type: string, description: the cluster, default: '', allowEmpty: true}"))).toEqual([])
  })

  it('rejects a secret in a command sent through SSM Run Command, which keeps it in its history', () => {
    const text = SECRET.replace('prose: |', `  - name: reset
    kind: shell
    command: 'reset-admin {{ params.password }} {{ steps.cluster.outputs.Endpoint }} {{ params.clusterId }}'
    instanceTag: {key: role, value: bastion}
  - name: local
    kind: shell
    command: 'reset-admin {{ params.password }}'
prose: |`)
    expect(problemsOf(text)).toEqual([
      "runbooks/sample.yaml:30 reference {{ params.password }} is secret: a command run through SSM Run Command (instanceTag) is kept in clear in the command's history",
      "runbooks/sample.yaml:30 reference {{ steps.cluster.outputs.Endpoint }} is secret: a command run through SSM Run Command (instanceTag) is kept in clear in the command's history",
    ])
  })
})

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fintech-runbooks-'))
  mkdirSync(join(root, 'runbooks'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'runbooks', name), text)
  return root
}

describe('runbooks across files', () => {
  it('reports a call to an unknown runbook and an env the config does not have', () => {
    const set = loadRunbooks(project({'caller.yaml': CALLER('missing')}), ['dev', 'prod'])
    expect(set.problems.map((problem) => `${problem.file}:${problem.line} ${problem.message}`)).toEqual([
      'runbooks/caller.yaml:6 env staging is not in the config (dev, prod)',
      'runbooks/caller.yaml:13 step call calls runbook missing, which does not exist (runbooks: caller)',
    ])
  })

  it('reports a parameter the called runbook lacks, and one it needs', () => {
    const set = loadRunbooks(project({'caller.yaml': CALLER('sample', '{bogus: 1}'), 'sample.yaml': VALID}))
    expect(set.problems.map((problem) => `${problem.file}:${problem.line} ${problem.message}`)).toEqual([
      'runbooks/caller.yaml:11 step call must pass clusterId to runbook sample (it has no default)',
      'runbooks/caller.yaml:14 runbook sample has no parameter bogus',
    ])
  })

  it('reports runbooks calling each other in a circle once', () => {
    const other = CALLER('caller').replace('name: caller', 'name: other')
    const set = loadRunbooks(project({'caller.yaml': CALLER('other'), 'other.yaml': other}))
    expect(set.problems.map((problem) => `${problem.file}:${problem.line} ${problem.message}`)).toEqual(['runbooks/caller.yaml:13 runbooks call each other in a circle: caller → other → caller'])
  })

  it('every shipped runbook is valid against the repository config envs', () => {
    const set = loadRunbooks(REPO, ['management', 'dev', 'test', 'prod'])
    expect(set.problems).toEqual([])
    expect([...set.runbooks.keys()]).toEqual(['dr-failback', 'dr-failover-unplanned', 'dr-failover', 'failover', 'ledger-rollback', 'ledger-scale', 'redis-failover', 'restore-aurora-snapshot'])
    for (const runbook of set.runbooks.values()) expect(runbook.prose).toMatch(/## When[\s\S]*## What it does[\s\S]*## How to verify[\s\S]*## Rolling back by hand/)
    expect(set.runbooks.get('restore-aurora-snapshot')?.envs).toEqual(['dev', 'test'])
  })
})
