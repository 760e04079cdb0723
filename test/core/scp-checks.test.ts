import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {loadActionCatalogue, type ActionCatalogue} from '../../src/core/scp/catalogue.js'
import {validateGuardrails} from '../../src/core/scp/checks.js'
import {desiredPolicies} from '../../src/core/scp/desired.js'
import {characterCount, parsePolicySource, PolicySyntaxError} from '../../src/core/scp/document.js'
import {loadStatementMatcher, type StatementMatcher} from '../../src/core/scp/evaluate.js'
import {ENFORCED_RESOURCE_TYPES, tagPolicyDocument} from '../../src/core/scp/tag-policy.js'
import {makeProject} from '../helpers/project.js'

const fixture = (path: string) => readFileSync(fileURLToPath(new URL(`../fixtures/scp/${path}`, import.meta.url)), 'utf8')
const CONFIG = fixture('fintech.config.yaml')
const DENY_LEAVE = fixture('templates/scp/deny-leave-organization.json')
const PROTECT_PROD = fixture('templates/scp/protect-prod-data.json')

const project = (files: Record<string, string | undefined> = {}) =>
  makeProject({
    'fintech.config.yaml': CONFIG,
    'templates/scp/deny-leave-organization.json': DENY_LEAVE,
    'templates/scp/protect-prod-data.json': PROTECT_PROD,
    'templates/data.yaml': undefined,
    ...files,
  })

let catalogue: ActionCatalogue
let matcher: StatementMatcher
beforeAll(async () => {
  ;[catalogue, matcher] = await Promise.all([loadActionCatalogue(), loadStatementMatcher()])
})

const validate = async (files: Record<string, string | undefined> = {}) => validateGuardrails(loadConfig(project(files)), catalogue, matcher)
const brief = (findings: Array<{file: string; line: number; column: number; ruleId: string; message: string}>) =>
  findings.map((finding) => `${finding.file.replace(/.*\/(fintech\.config\.yaml)$/, '$1')}:${finding.line}:${finding.column} ${finding.ruleId} ${finding.message}`)

const policy = (statements: unknown[]) => JSON.stringify({Version: '2012-10-17', Statement: statements}, null, 2)

describe('scp validate checks', () => {
  it('passes the fixture with no finding, and sums up sizes and per-target counts', async () => {
    const result = await validate()
    expect(result.findings).toEqual([])
    expect(result.files).toEqual(['templates/scp/deny-leave-organization.json', 'templates/scp/protect-prod-data.json'])
    expect(result.policies.map((entry) => [entry.name, entry.characters, entry.targets])).toEqual([
      ['fintech-deny-leave-organization', {asWritten: characterCount(DENY_LEAVE), minified: JSON.stringify(JSON.parse(DENY_LEAVE)).length, limit: 10_240}, ['root']],
      ['fintech-protect-prod-data', {asWritten: characterCount(PROTECT_PROD), minified: JSON.stringify(JSON.parse(PROTECT_PROD)).length, limit: 10_240}, ['ou:Prod']],
      ['fintech-required-tags', {minified: JSON.stringify(tagPolicyDocument({requiredTags: ['Environment', 'CostCenter', 'Owner', 'Service', 'DataClassification'], tagging: {allowedValues: {Environment: ['management', 'dev', 'prod']}, rules: []}})).length, limit: 10_000}, ['root']],
    ])
    expect(result.targets).toEqual([
      {target: 'root', scps: 2, tagPolicies: 1, limit: 10},
      {target: 'ou:Prod', scps: 2, tagPolicies: 0, limit: 10},
    ])
  })

  it('reports bad JSON at its line and column', async () => {
    const broken = PROTECT_PROD.replace('"Resource": "*",\n      "Condition"', '"Resource": "*"\n      "Condition"')
    const result = await validate({'templates/scp/protect-prod-data.json': broken})
    expect(brief(result.findings)).toEqual(["templates/scp/protect-prod-data.json:12:7 FT-SCP-001 invalid JSON: Expected ',' or '}' after property value"])
  })

  it('finds the position of JSON errors V8 gives no position for, and duplicate keys', () => {
    expect(() => parsePolicySource('{\n  "Version": tru\n}', 'p.json')).toThrow(PolicySyntaxError)
    try {
      parsePolicySource('{\n  "Version": tru\n}', 'p.json')
    } catch (error) {
      expect(error).toMatchObject({line: 2, column: 17, message: "p.json:2:17: invalid JSON: Unexpected token '\n'"})
    }
    expect(() => parsePolicySource('{"Version": "2012-10-17", "Version": "2008-10-17"}', 'p.json')).toThrow('a key appears twice in the same object')
  })

  it('measures the size as AWS counts it, minified, and reports both sizes', async () => {
    const big = policy([{Sid: 'Big', Effect: 'Deny', Action: Array(450).fill('ec2:DescribeInstances'), Resource: '*'}])
    const minified = JSON.stringify(JSON.parse(big)).length
    expect(minified).toBeGreaterThan(10_240)
    const result = await validate({'templates/scp/protect-prod-data.json': big})
    expect(brief(result.findings)).toEqual([
      `templates/scp/protect-prod-data.json:1:1 FT-SCP-003 ${minified.toLocaleString('en')} characters as AWS counts them (minified; ${big.length.toLocaleString('en')} as written): over the limit of 10,240 (guardrails.policySizeLimit)`,
    ])
  })

  it('passes a policy over the limit as written but under it minified, and honours a lower configured limit', async () => {
    const spaced = policy([{Sid: 'Deny', Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*'}]).replaceAll('\n', '\n' + ' '.repeat(1000))
    expect(spaced.length).toBeGreaterThan(5_120)
    expect((await validate({'templates/scp/deny-leave-organization.json': spaced})).findings).toEqual([])
    const lowered = CONFIG.replace('guardrails:\n', 'guardrails:\n  policySizeLimit: 100\n')
    const result = await validate({'fintech.config.yaml': lowered})
    expect(brief(result.findings).map((line) => line.replace(/: \d+ characters.*/, ''))).toEqual([
      'templates/scp/deny-leave-organization.json:1:1 FT-SCP-003 149 characters as AWS counts them (minified; 204 as written): over the limit of 100 (guardrails.policySizeLimit)',
      'templates/scp/protect-prod-data.json:1:1 FT-SCP-003 498 characters as AWS counts them (minified; 737 as written): over the limit of 100 (guardrails.policySizeLimit)',
    ])
  })

  it('counts FullAWSAccess towards the policies per target, against the configured limit', async () => {
    const five = Array.from({length: 5}, (_, index) => `    - {name: extra-${index}, file: templates/scp/deny-leave-organization.json, targets: [ou:Prod, root]}\n`).join('')
    const config = CONFIG.replace('  tagPolicy:', `${five}  tagPolicy:`).replace('guardrails:\n', 'guardrails:\n  policiesPerTargetLimit: 6\n')
    const result = await validate({'fintech.config.yaml': config})
    const last = config.split('\n').findIndex((line) => line.includes('extra-4')) + 1
    expect(brief(result.findings)).toEqual([
      `fintech.config.yaml:${last}:1 FT-SCP-004 root would have 7 SCPs (FullAWSAccess and 6 of the config): the limit is 6 (guardrails.policiesPerTargetLimit)`,
      `fintech.config.yaml:${last}:1 FT-SCP-004 ou:Prod would have 7 SCPs (FullAWSAccess and 6 of the config): the limit is 6 (guardrails.policiesPerTargetLimit)`,
    ])
  })

  it('checks every action against the IAM catalogue, suggesting the nearest name', async () => {
    const typos = policy([
      {Sid: 'Typos', Effect: 'Deny', Action: ['rds:DeleteDBClustr', 'dynamdb:DeleteTable', 'rds:Delet*Clustr', 'kms:*', 's3:Get*', 'rds:*Cluster'], Resource: '*'},
      {Sid: 'Plain', Effect: 'Deny', Action: 'organizations:LeaveOrganisation', Resource: '*'},
    ])
    const result = await validate({'templates/scp/protect-prod-data.json': typos})
    expect(brief(result.findings.filter((finding) => finding.ruleId === 'FT-SCP-005'))).toEqual([
      'templates/scp/protect-prod-data.json:8:9 FT-SCP-005 rds has no action DeleteDBClustr (did you mean rds:DeleteDBCluster?)',
      'templates/scp/protect-prod-data.json:9:9 FT-SCP-005 unknown service prefix "dynamdb" in dynamdb:DeleteTable (did you mean dynamodb:DeleteTable?)',
      'templates/scp/protect-prod-data.json:10:9 FT-SCP-005 rds:Delet*Clustr matches no rds action',
      'templates/scp/protect-prod-data.json:20:7 FT-SCP-005 organizations has no action LeaveOrganisation (did you mean organizations:LeaveOrganization?)',
    ])
  })

  it('flags the common mistakes: Allow with a Condition, a NotAction Deny with nothing narrowing it, no Sid, a bad or repeated Sid, an unknown condition key', async () => {
    const mistakes = policy([
      {Sid: 'OnlyEu', Effect: 'Allow', Action: '*', Resource: '*', Condition: {StringEquals: {'aws:RequestedRegion': 'eu-west-1'}}},
      {Sid: 'AllButIam', Effect: 'Deny', NotAction: ['iam:*'], Resource: '*'},
      {Effect: 'Deny', Action: 'rds:DeleteDBCluster', Resource: '*'},
      {Sid: 'no-dashes', Effect: 'Deny', Action: 'dynamodb:DeleteTable', Resource: '*', Condition: {StringEquals: {'aws:NoSuchKey': 'x'}}},
      {Sid: 'OnlyEu', Effect: 'Deny', Action: 'rds:DeleteDBInstance', Resource: '*'},
    ])
    const result = await validate({'templates/scp/protect-prod-data.json': mistakes})
    expect(brief(result.findings.filter((finding) => finding.ruleId !== 'FT-SCP-012')).map((line) => line.replace(/: it restricts.*|, for every.*/, ''))).toEqual([
      'templates/scp/protect-prod-data.json:9:7 FT-SCP-006 OnlyEu allows with a Condition',
      'templates/scp/protect-prod-data.json:18:7 FT-SCP-007 AllButIam denies every action except 1 listed',
      'templates/scp/protect-prod-data.json:23:5 FT-SCP-008 statement 2 has no Sid',
      'templates/scp/protect-prod-data.json:29:7 FT-SCP-009 Sid "no-dashes" has characters other than letters and digits',
      'templates/scp/protect-prod-data.json:35:11 FT-SCP-010 aws:NoSuchKey is not a condition key of the IAM catalogue',
      'templates/scp/protect-prod-data.json:40:7 FT-SCP-009 Sid OnlyEu is also used by statement 0',
    ])
    // Denying everything but IAM in prod stops the break-glass role too: one finding for all it cannot do there.
    expect(brief(result.findings.filter((finding) => finding.ruleId === 'FT-SCP-012'))).toEqual([
      'templates/scp/protect-prod-data.json:15:5 FT-SCP-012 rds:DeleteDBCluster, rds:ModifyDBCluster, rds:FailoverDBCluster, rds:RestoreDBClusterToPointInTime, dynamodb:DeleteTable, dynamodb:UpdateTable, dynamodb:RestoreTableToPointInTime, ecs:UpdateService, cloudformation:ExecuteChangeSet, cloudformation:DeleteStack and sts:AssumeRole are denied to arn:aws:iam::333333333333:role/fintech-break-glass in prod by fintech-protect-prod-data (AllButIam) at ou:Prod',
    ])
  })

  it('rejects what is not SCP grammar, Principal included', async () => {
    const wrong = JSON.stringify({Version: '2008-10-17', Statement: [{Sid: 'A', Effect: 'Block', Principal: '*', Action: 's3:*', NotAction: 'iam:*'}, {Sid: 'B', Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: {StringEqualz: {'aws:RequestedRegion': 'x'}}}]}, null, 2)
    const result = await validate({'templates/scp/protect-prod-data.json': wrong})
    expect(brief(result.findings)).toEqual([
      'templates/scp/protect-prod-data.json:2:3 FT-SCP-002 Version must be "2012-10-17"',
      'templates/scp/protect-prod-data.json:7:7 FT-SCP-002 Principal is not supported in an SCP: it applies to every principal of the accounts it reaches',
      'templates/scp/protect-prod-data.json:6:7 FT-SCP-002 Effect must be "Allow" or "Deny"',
      'templates/scp/protect-prod-data.json:9:7 FT-SCP-002 a statement has Action or NotAction, not both',
      'templates/scp/protect-prod-data.json:4:5 FT-SCP-002 a statement needs Resource or NotResource',
      'templates/scp/protect-prod-data.json:17:9 FT-SCP-002 StringEqualz is not an IAM condition operator',
    ])
  })

  it('refuses a Deny of everything at the root, and leaves one with a condition alone', async () => {
    const denyAll = policy([{Sid: 'Lockout', Effect: 'Deny', Action: '*', Resource: '*'}])
    const result = await validate({'templates/scp/deny-leave-organization.json': denyAll})
    expect(brief(result.findings).filter((line) => line.includes('FT-SCP-011'))).toEqual([
      'templates/scp/deny-leave-organization.json:4:5 FT-SCP-011 fintech-deny-leave-organization denies everything (an ordinary role is refused every everyday action tried) and is attached to the root or the management account',
    ])
    const narrowed = policy([{Sid: 'RootUser', Effect: 'Deny', Action: '*', Resource: '*', Condition: {ArnLike: {'aws:PrincipalArn': 'arn:aws:iam::*:root'}}}])
    expect((await validate({'templates/scp/deny-leave-organization.json': narrowed})).findings).toEqual([])
  })

  it('catches guardrails that would stop the break-glass role, e.g. a break-glass role renamed in only one place', async () => {
    const renamed = CONFIG.replace('breakGlassRole: fintech-break-glass', 'breakGlassRole: emergency-admin')
    const result = await validate({'fintech.config.yaml': renamed})
    expect(brief(result.findings)).toEqual([
      'templates/scp/protect-prod-data.json:4:5 FT-SCP-012 rds:DeleteDBCluster and dynamodb:DeleteTable are denied to arn:aws:iam::333333333333:role/emergency-admin in prod by fintech-protect-prod-data (DenyDeletingProdDataExceptBreakGlass) at ou:Prod',
    ])
  })

  it('reports a missing policy file at its line in the config, and a file nothing uses', async () => {
    const result = await validate({'templates/scp/protect-prod-data.json': undefined, 'templates/scp/spare.json': DENY_LEAVE})
    const fileLine = CONFIG.split('\n').findIndex((line) => line.includes('file: templates/scp/protect-prod-data.json')) + 1
    expect(brief(result.findings)).toEqual([
      'templates/scp/spare.json:1:1 FT-SCP-013 no guardrails.scps entry of ' + result.findings[0]!.message.split(' of ')[1],
      `fintech.config.yaml:${fileLine}:1 FT-SCP-001 policy file templates/scp/protect-prod-data.json of fintech-protect-prod-data not found`,
    ])
  })

  it('refuses a policy named FullAWSAccess: it is AWS\'s', async () => {
    const config = CONFIG.replace('name: fintech-deny-leave-organization', 'name: FullAWSAccess')
    expect(brief((await validate({'fintech.config.yaml': config})).findings)).toEqual([
      `fintech.config.yaml:${config.split('\n').findIndex((line) => line.includes('name: FullAWSAccess')) + 1}:1 FT-SCP-002 FullAWSAccess is AWS's own policy: fintech leaves it attached everywhere and never manages it`,
    ])
  })

  it('makes plan and apply refuse a missing file or bad grammar as bad input (exit 2) naming the place', () => {
    expect(() => desiredPolicies(loadConfig(project({'templates/scp/protect-prod-data.json': undefined})))).toThrow(
      /fintech\.config\.yaml:\d+: guardrails\.scps\[1\]\.file: policy file templates\/scp\/protect-prod-data\.json of fintech-protect-prod-data not found/,
    )
    expect(() => desiredPolicies(loadConfig(project({'templates/scp/protect-prod-data.json': '{"Version": "2012-10-17", "Statement": []}'})))).toThrow(
      'templates/scp/protect-prod-data.json:1: a policy needs at least one Statement (fintech scp validate lists every problem)',
    )
  })
})

describe('the tag policy', () => {
  it('assigns each required tag its key, the allowed values where the config has them, and enforcement for those', () => {
    const document = tagPolicyDocument({requiredTags: ['Environment', 'CostCenter'], tagging: {allowedValues: {Environment: ['dev', 'prod']}, rules: []}})
    expect(document).toEqual({
      tags: {
        environment: {tag_key: {'@@assign': 'Environment'}, tag_value: {'@@assign': ['dev', 'prod']}, enforced_for: {'@@assign': [...ENFORCED_RESOURCE_TYPES]}},
        costcenter: {tag_key: {'@@assign': 'CostCenter'}},
      },
    })
  })

  it('is generated from the config, minified, with its targets', () => {
    const tagPolicy = desiredPolicies(loadConfig(project())).find((candidate) => candidate.type === 'TAG_POLICY')!
    expect(tagPolicy).toMatchObject({name: 'fintech-required-tags', description: 'The tags every resource carries.', targets: [{spec: {kind: 'root'}}]})
    expect(JSON.parse(tagPolicy.content).tags.environment.tag_value).toEqual({'@@assign': ['management', 'dev', 'prod']})
    expect(tagPolicy.content).not.toMatch(/\s/)
  })
})
