import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {Finding, TemplateEnvironment, TemplateRuleContext} from '../../../src/core/validate/finding.js'
import {securityRules} from '../../../src/core/validate/security/index.js'
import {applySuppressions} from '../../../src/core/validate/suppress.js'
import {parseTemplate, type Template} from '../../../src/core/template/parse.js'

const FIXTURES = join(import.meta.dirname, '../../fixtures/validate/security')

/** The environments a fixture can ask for in a `# environments: dev, prod` header line. */
const ENVIRONMENTS: Record<string, TemplateEnvironment> = {
  dev: {name: 'dev', protected: false, parameters: {Env: 'dev'}},
  prod: {name: 'prod', protected: true, parameters: {Env: 'prod'}},
}

interface Expected {
  line: number
  column: number
  ruleId: string
}

/**
 * A fixture documents its own expectations: `# expect FT-SEC-003` at the end of the line a
 * finding must be on, at the column where that line's key starts (after any `- `).
 */
function readFixture(name: string) {
  const body = readFileSync(join(FIXTURES, name), 'utf8')
  const lines = body.split('\n')
  const expected: Expected[] = lines.flatMap((text, index) => {
    const marker = /#\s*expect\s+(.+)$/.exec(text)
    if (!marker) return []
    const column = (/^[\s-]*/.exec(text)?.[0].length ?? 0) + 1
    return marker[1]!.trim().split(/[\s,]+/).map((ruleId) => ({line: index + 1, column, ruleId}))
  })
  const header = /^# environments:(.*)$/m.exec(body)
  const environments = header
    ? header[1]!.split(',').map((environmentName) => {
        const environment = ENVIRONMENTS[environmentName.trim()]
        if (!environment) throw new Error(`${name}: unknown environment ${environmentName.trim()}`)
        return environment
      })
    : []
  return {template: parseTemplate(body, name), environments, expected}
}

function check(template: Template, environments: TemplateEnvironment[] = []): Finding[] {
  const context: TemplateRuleContext = {template, environments}
  return applySuppressions(securityRules.flatMap((rule) => rule.check(context)), [template])
}

const position = ({line, column, ruleId}: Expected | Finding): Expected => ({line, column, ruleId})
const byPosition = (a: Expected, b: Expected) => a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId)

const fixtures = readdirSync(FIXTURES).filter((name) => name.endsWith('.yaml')).sort()

describe('security rule corpus', () => {
  it.each(fixtures)('%s produces exactly the findings its markers expect', (name) => {
    const {template, environments, expected} = readFixture(name)
    const findings = check(template, environments)
    expect(findings.map(position).sort(byPosition)).toEqual([...expected].sort(byPosition))
  })

  it('has a broken template for every rule, producing only that rule', () => {
    for (const rule of securityRules) {
      const name = `${rule.id}.yaml`
      expect(fixtures, `missing fixture ${name}`).toContain(name)
      const {expected} = readFixture(name)
      expect(expected.length, `${name} expects no finding`).toBeGreaterThan(0)
      expect(new Set(expected.map((finding) => finding.ruleId))).toEqual(new Set([rule.id]))
    }
  })

  it('has a clean template', () => {
    const {template, environments, expected} = readFixture('clean.yaml')
    expect(expected).toEqual([])
    expect(environments.map((environment) => environment.name)).toEqual(['dev', 'prod'])
    expect(check(template, environments)).toEqual([])
  })
})

describe('security rules', () => {
  it('have unique, ordered ids, a title and a one-line rationale', () => {
    const ids = securityRules.map((rule) => rule.id)
    expect(ids).toEqual([...ids].sort())
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of securityRules) {
      expect(rule.id).toMatch(/^FT-SEC-\d{3}$/)
      expect(rule.title.length).toBeGreaterThan(0)
      expect(rule.rationale).not.toContain('\n')
      expect(['error', 'warning']).toContain(rule.severity)
    }
  })

  it('name the resource each finding is about, and say what is wrong', () => {
    const findings = check(parseTemplate('Resources:\n  Db:\n    Type: AWS::RDS::DBCluster\n    Properties:\n      StorageEncrypted: false\n', 'db.yaml'))
    expect(findings).toEqual([{
      file: 'db.yaml', line: 5, column: 7, ruleId: 'FT-SEC-001', severity: 'error', source: 'fintech', resource: 'Db',
      message: 'Db: StorageEncrypted must be true (it is false)',
    }])
  })

  const conditional = parseTemplate(
    `Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !If [IsProd, alias/fintech, !Ref AWS::NoValue]
`,
    'topic.yaml',
  )

  it('judge each environment with its own parameters, naming the ones a finding applies to', () => {
    const environments = [
      {name: 'dev', protected: false, parameters: {Env: 'dev'}},
      {name: 'test', protected: false, parameters: {Env: 'test'}},
      {name: 'prod', protected: true, parameters: {Env: 'prod'}},
    ]
    const findings = check(conditional, environments)
    expect(findings.map((finding) => [finding.line, finding.message])).toEqual([[9, 'Topic: KmsMasterKeyId must be set (a customer-managed key whose policy lets CloudWatch publish; alias/aws/sns would silence alarms) in dev, test']])
  })

  it('check both branches of a condition they cannot decide', () => {
    // No environment deploys the template and Env has no default: the condition is undecided,
    // and its else branch leaves the topic unencrypted.
    expect(check(conditional).map((finding) => finding.message)).toEqual([
      'Topic: KmsMasterKeyId must be set (a customer-managed key whose policy lets CloudWatch publish; alias/aws/sns would silence alarms)',
    ])
  })

  it('treat a stack-output placeholder as unknown in conditions, checking both branches', () => {
    const template = parseTemplate(
      `Parameters:
  Env: {Type: String}
  PeerCidr: {Type: String}
Conditions:
  HasPeer: !Not [!Equals [!Ref PeerCidr, '']]
Resources:
  Ssh:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: sg-0123456789abcdef0
      IpProtocol: tcp
      FromPort: 22
      ToPort: 22
      CidrIp: !If [HasPeer, !Ref PeerCidr, 0.0.0.0/0]
`,
      'ssh.yaml',
    )
    // Read as the string '<network.PeerCidr>', HasPeer would be true and the open else branch unseen.
    const placeholder = {name: 'dev', protected: false, parameters: {Env: 'dev', PeerCidr: '<network.PeerCidr>'}}
    expect(check(template, [placeholder]).map(position)).toEqual([{line: 14, column: 7, ruleId: 'FT-SEC-008'}])
    const known = {name: 'dev', protected: false, parameters: {Env: 'dev', PeerCidr: '10.1.0.0/16'}}
    expect(check(template, [known])).toEqual([])
  })

  it('leave a value they cannot know offline alone', () => {
    const template = parseTemplate('Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      KmsMasterKeyId: !ImportValue alarm-key\n', 'topic.yaml')
    expect(check(template)).toEqual([])
  })

  it('say nothing about prod-only rules when no protected environment deploys the template', () => {
    const {template} = readFixture('FT-SEC-010.yaml')
    expect(check(template, [ENVIRONMENTS.dev!])).toEqual([])
  })

  it('name the protected environment in prod-only findings', () => {
    const {template, environments} = readFixture('FT-SEC-011.yaml')
    expect(check(template, environments).map((finding) => finding.message)).toContain('RedisData: DeletionPolicy must be Snapshot or Retain (not set) in prod')
  })

  it('read a DeletionPolicy that depends on the environment', () => {
    const template = parseTemplate(
      `Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Volume:
    Type: AWS::EC2::Volume
    DeletionPolicy: !If [IsProd, Delete, Snapshot]
    UpdateReplacePolicy: Snapshot
    Properties: {AvailabilityZone: eu-west-1a, Size: 10, Encrypted: true}
`,
      'volume.yaml',
    )
    expect(check(template, [ENVIRONMENTS.dev!, ENVIRONMENTS.prod!]).map(position)).toEqual([{line: 8, column: 5, ruleId: 'FT-SEC-011'}])
  })

  it('point at the right item when a conditional list item before it is removed', () => {
    const template = parseTemplate(
      `Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress:
        - !If [IsProd, {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.0.0.0/8}, !Ref AWS::NoValue]
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: 0.0.0.0/0
`,
      'group.yaml',
    )
    expect(check(template, [ENVIRONMENTS.dev!]).map(position)).toEqual([{line: 15, column: 11, ruleId: 'FT-SEC-008'}])
  })

  it('accept the TLS-only statement in its usual spellings', () => {
    const template = (statement: string) =>
      parseTemplate(
        `Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption: {ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}}]}
      PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement: ${statement}
`,
        'bucket.yaml',
      )
    expect(check(template(`{Effect: Deny, Principal: {AWS: ['*']}, Action: '*', Resource: '*', Condition: {Bool: {'AWS:SecureTransport': [false]}}}`))).toEqual([])
    expect(check(template(`[{Effect: Deny, Principal: '*', Action: [s3:GetObject, 's3:*'], Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}]`))).toEqual([])
    // A statement only AWS can read (here an imported document) is not judged.
    expect(check(template(`!ImportValue fintech-tls-statement`))).toEqual([])
    // Denying to one principal leaves everyone else free to use plain HTTP.
    expect(check(template(`[{Effect: Deny, Principal: {AWS: arn:aws:iam::111111111111:root}, Action: 's3:*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}]`)).map(position)).toEqual([
      {line: 11, column: 7, ruleId: 'FT-SEC-013'},
    ])
  })
})

describe('applySuppressions', () => {
  const template = parseTemplate(
    `Resources:
  Topic:
    Type: AWS::SNS::Topic
    Metadata:
      fintech:
        suppress:
          FT-SEC-006: public status feed
          FT-SEC-099: typo in the rule id
  Other:
    Type: AWS::SNS::Topic
`,
    'topics.yaml',
  )
  const finding = (resource: string, ruleId: string, file = 'topics.yaml'): Finding => ({
    file, line: 2, column: 3, ruleId, severity: 'error', message: 'x', resource, source: 'fintech',
  })

  it('removes only the suppressed rule, on that resource, in that file', () => {
    const kept = [finding('Topic', 'FT-SEC-005'), finding('Other', 'FT-SEC-006'), finding('Topic', 'FT-SEC-006', 'elsewhere.yaml')]
    const result = applySuppressions([finding('Topic', 'FT-SEC-006'), ...kept], [template])
    expect(result.slice(0, 3)).toEqual(kept)
  })

  it('warns about a suppression that matches nothing', () => {
    const result = applySuppressions([finding('Topic', 'FT-SEC-006')], [template])
    expect(result).toEqual([{
      file: 'topics.yaml', line: 8, column: 11, ruleId: 'FT-SUP-002', severity: 'warning', resource: 'Topic', source: 'fintech',
      message: 'Topic: FT-SEC-099 reports nothing for this resource; remove the stale suppression',
    }])
  })
})
