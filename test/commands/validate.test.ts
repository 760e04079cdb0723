import {describe, expect, it} from 'vitest'
import Validate from '../../src/commands/validate.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

/** A lint-clean, rule-clean project: one encrypted topic, its key, nothing else. */
const CLEAN_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: alarms
Parameters:
  Cidr:
    Type: String
Resources:
  Key:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root'}
            Action: kms:*
            Resource: '*'
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref Key
      DisplayName: !Ref Cidr
Outputs:
  VpcId:
    Value: !Ref Topic
`

const CONFIG = `environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    parameterFile: params/dev.yaml
    tags: {Environment: dev, CostCenter: c, Owner: o, Service: s, DataClassification: d}
stages:
  - name: network
    stacks:
      - {id: vpc, template: templates/vpc.yaml}
`

const project = (files: Record<string, string> = {}) =>
  makeProject({'fintech.config.yaml': CONFIG, 'templates/vpc.yaml': CLEAN_TEMPLATE, 'templates/data.yaml': undefined, ...files})

/** These run the real cfn-lint, whose start alone takes seconds, and more on a loaded machine. */
const CFN_LINT_TIMEOUT_MS = 120_000

describe('fintech validate', () => {
  it('passes a clean project, cfn-lint included, with exit 0', {timeout: CFN_LINT_TIMEOUT_MS}, async () => {
    const run = await runCli(Validate, ['--config', project(), '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json).toMatchObject({cfnLint: 'ran', errors: 0, warnings: 0, findings: [], files: ['templates/vpc.yaml', 'params/dev.yaml']})
  })

  it('prints file:line:col rule-id message, merges cfn-lint, and exits 1 on an error', {timeout: CFN_LINT_TIMEOUT_MS}, async () => {
    const broken = CLEAN_TEMPLATE.replace('      KmsMasterKeyId: !Ref Key\n', '      TopicNmae: alarms\n')
    const run = await runCli(Validate, ['--config', project({'templates/vpc.yaml': broken})])
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('templates/vpc.yaml:23:7 FT-TPL-002 AWS::SNS::Topic has no property TopicNmae')
    expect(run.stdout).toMatch(/templates\/vpc\.yaml:22:5 FT-SEC-006 /)
    expect(run.stdout).toMatch(/templates\/vpc\.yaml:23:7 E3002 /)
    expect(run.stdout).toMatch(/\d+ errors, 0 warnings in 2 files checked/)
  })

  it('exits 0 with warnings only', async () => {
    const unused = CLEAN_TEMPLATE.replace('Parameters:\n', 'Parameters:\n  Spare:\n    Type: String\n    Default: x\n')
    const run = await runCli(Validate, ['--config', project({'templates/vpc.yaml': unused}), '--no-cfn-lint', '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json.findings.map((finding: {ruleId: string; line: number}) => [finding.ruleId, finding.line])).toEqual([['FT-TPL-007', 4]])
    expect(run.json.cfnLint).toBe('skipped')
  })

  it('says once that cfn-lint is missing and goes on with the built-in checks', async () => {
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      const run = await runCli(Validate, ['--config', project(), '--json'])
      expect(run.exitCode).toBe(0)
      expect(run.json.cfnLint).toBe('missing')
      expect(run.stderr.match(/cfn-lint is not installed/g)).toHaveLength(1)
    } finally {
      process.env.PATH = path
    }
  })

  it('reports a config that does not parse as a finding with its line', async () => {
    const run = await runCli(Validate, ['--config', project({'fintech.config.yaml': CONFIG.replace('stages:', 'stages: [')}), '--json'])
    expect(run.exitCode).toBe(1)
    expect(run.json.findings[0]).toMatchObject({ruleId: 'FT-YAML-001', line: expect.any(Number)})
  })

  it('--rules lists every rule once, each with its rationale', async () => {
    const run = await runCli(Validate, ['--rules', '--json'])
    const ids = run.json.rules.map((rule: {id: string}) => rule.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(expect.arrayContaining(['FT-YAML-001', 'FT-TPL-001', 'FT-SEC-001', 'FT-SEC-015', 'FT-SUP-001', 'FT-CON-003']))
    expect(run.json.rules.every((rule: {rationale: string}) => rule.rationale.length > 20)).toBe(true)
  })

  it('checks the SCPs under templates/scp/ with the templates: their findings, files and rules', async () => {
    const scps = `guardrails:
  scps:
    - name: fintech-deny-leave
      file: templates/scp/deny-leave.json
      targets: [root]
`
    const policy = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Deny", "Action": "organizations:LeaveOrganisation", "Resource": "*"}\n  ]\n}\n'
    const run = await runCli(Validate, ['--config', project({'fintech.config.yaml': `${CONFIG}${scps}`, 'templates/scp/deny-leave.json': policy}), '--no-cfn-lint', '--json'])
    expect(run.exitCode).toBe(1)
    expect(run.json.files).toEqual(['templates/vpc.yaml', 'params/dev.yaml', 'templates/scp/deny-leave.json'])
    expect(run.json.findings.map((finding: {file: string; line: number; column: number; ruleId: string; message: string}) => `${finding.file}:${finding.line}:${finding.column} ${finding.ruleId} ${finding.message}`)).toEqual([
      'templates/scp/deny-leave.json:4:5 FT-SCP-008 statement 0 has no Sid',
      'templates/scp/deny-leave.json:4:24 FT-SCP-005 organizations has no action LeaveOrganisation (did you mean organizations:LeaveOrganization?)',
    ])
    const rules = await runCli(Validate, ['--rules', '--json'])
    expect(rules.json.rules.map((rule: {id: string}) => rule.id)).toEqual(expect.arrayContaining(['FT-SCP-001', 'FT-SCP-005', 'FT-SCP-012']))
  })

  it('fails when cfn-lint crashes instead of passing as if it were missing', async () => {
    const {mkdtempSync, writeFileSync, chmodSync} = await import('node:fs')
    const {join} = await import('node:path')
    const {tmpdir} = await import('node:os')
    const bin = mkdtempSync(join(tmpdir(), 'fake-cfn-lint-'))
    writeFileSync(join(bin, 'cfn-lint'), '#!/bin/sh\necho "Traceback (most recent call last): boom" >&2\nexit 1\n')
    chmodSync(join(bin, 'cfn-lint'), 0o755)
    const path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
    try {
      const run = await runCli(Validate, ['--config', project(), '--json'])
      expect(run.exitCode).toBe(1)
      expect(run.json.cfnLint).toBe('ran')
      expect(run.json.findings).toEqual([expect.objectContaining({ruleId: 'FT-LINT-001', message: 'cfn-lint failed: Traceback (most recent call last): boom'})])
    } finally {
      process.env.PATH = path
    }
  })
})
