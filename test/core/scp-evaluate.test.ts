import {beforeAll, describe, expect, it} from 'vitest'
import {FULL_AWS_ACCESS} from '../../src/core/scp/desired.js'
import {readPolicyDocument, type PolicyDocument} from '../../src/core/scp/document.js'
import {evaluateChain, loadStatementMatcher, type SimulationRequest, type StatementMatcher} from '../../src/core/scp/evaluate.js'
import {buildRequest, parseContextPairs, parsePrincipal} from '../../src/core/scp/request.js'

let matcher: StatementMatcher
beforeAll(async () => {
  matcher = await loadStatementMatcher()
})

const statement = (body: Record<string, unknown>) => {
  const {document, problems} = readPolicyDocument({Version: '2012-10-17', Statement: [{Sid: 'S', Effect: 'Deny', Resource: '*', ...body}]})
  expect(problems).toEqual([])
  return document.statements[0]!
}

const request = (action: string, context: Record<string, string | string[]> = {}, resource?: string): SimulationRequest => ({
  action,
  ...(resource ? {resource} : {}),
  context: new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), Array.isArray(value) ? value : [value]])),
})

describe('statement matching (pbac, with IAM semantics fixed around it)', () => {
  it('matches action names case-insensitively, wildcards included, anywhere in the name', () => {
    expect(matcher.matches(statement({Action: 'rds:DeleteDBCluster'}), request('RDS:deletedbcluster'))).toBe(true)
    expect(matcher.matches(statement({Action: ['rds:Delete*']}), request('rds:DeleteDBInstance'))).toBe(true)
    expect(matcher.matches(statement({Action: ['rds:*Cluster']}), request('rds:ModifyDBCluster'))).toBe(true)
    expect(matcher.matches(statement({Action: ['rds:*Cluster']}), request('rds:ModifyDBInstance'))).toBe(false)
    expect(matcher.matches(statement({Action: 'rds:DeleteDBCluster'}), request('rds:DeleteDBClusterSnapshot'))).toBe(false)
  })

  it('reads NotAction as every action but those listed', () => {
    const notIam = statement({NotAction: ['iam:*', 'sts:AssumeRole']})
    expect(matcher.matches(notIam, request('iam:CreateRole'))).toBe(false)
    expect(matcher.matches(notIam, request('STS:assumerole'))).toBe(false)
    expect(matcher.matches(notIam, request('sts:GetCallerIdentity'))).toBe(true)
  })

  it('matches resources with wildcards, and takes an unknown resource to match resource-scoped statements', () => {
    const volumes = statement({Action: 'ec2:RunInstances', Resource: 'arn:aws:ec2:*:*:volume/*'})
    expect(matcher.matches(volumes, request('ec2:RunInstances', {}, 'arn:aws:ec2:eu-west-1:333333333333:volume/vol-1'))).toBe(true)
    expect(matcher.matches(volumes, request('ec2:RunInstances', {}, 'arn:aws:ec2:eu-west-1:333333333333:instance/i-1'))).toBe(false)
    expect(matcher.matches(volumes, request('ec2:RunInstances'))).toBe(true)
    const notBucket = statement({Action: 's3:*', Resource: undefined, NotResource: 'arn:aws:s3:::audit/*'})
    expect(matcher.matches(notBucket, request('s3:GetObject', {}, 'arn:aws:s3:::audit/2026/log'))).toBe(false)
    expect(matcher.matches(notBucket, request('s3:GetObject', {}, 'arn:aws:s3:::other/x'))).toBe(true)
  })

  it('fills policy variables in resources from the request, and does not match when one is missing', () => {
    const own = statement({Action: 's3:*', Resource: 'arn:aws:s3:::home-${aws:PrincipalAccount}/*'})
    expect(matcher.matches(own, request('s3:GetObject', {'aws:PrincipalAccount': '333333333333'}, 'arn:aws:s3:::home-333333333333/a'))).toBe(true)
    expect(matcher.matches(own, request('s3:GetObject', {'aws:PrincipalAccount': '111111111111'}, 'arn:aws:s3:::home-333333333333/a'))).toBe(false)
    expect(matcher.matches(own, request('s3:GetObject', {}, 'arn:aws:s3:::home-333333333333/a'))).toBe(false)
  })

  it('negated operators with several values hold only when no value matches (pbac alone says any value differs)', () => {
    const outside = statement({NotAction: 'iam:*', Condition: {StringNotEquals: {'aws:RequestedRegion': ['eu-west-1', 'us-east-1']}}})
    expect(matcher.matches(outside, request('ec2:RunInstances', {'aws:RequestedRegion': 'eu-west-1'}))).toBe(false)
    expect(matcher.matches(outside, request('ec2:RunInstances', {'aws:RequestedRegion': 'us-east-1'}))).toBe(false)
    expect(matcher.matches(outside, request('ec2:RunInstances', {'aws:RequestedRegion': 'eu-central-1'}))).toBe(true)
  })

  it('evaluates every key of an operator block, not only the first (pbac reads one)', () => {
    const both = statement({Action: '*', Condition: {StringEquals: {'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '333333333333'}}})
    expect(matcher.matches(both, request('s3:GetObject', {'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '333333333333'}))).toBe(true)
    expect(matcher.matches(both, request('s3:GetObject', {'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '111111111111'}))).toBe(false)
  })

  it('applies IAM\'s rules for a key the request lacks, where pbac compares the key\'s own name', () => {
    const exemptBreakGlass = statement({Action: 'rds:DeleteDBCluster', Condition: {ArnNotLike: {'aws:PrincipalArn': 'arn:aws:iam::*:role/break-glass'}}})
    expect(matcher.matches(exemptBreakGlass, request('rds:DeleteDBCluster'))).toBe(true)
    const positive = statement({Action: '*', Condition: {StringLike: {'aws:PrincipalArn': '*'}}})
    expect(matcher.matches(positive, request('s3:GetObject'))).toBe(false)
    const ifExists = statement({Action: 'rds:CreateDBCluster', Condition: {BoolIfExists: {'rds:StorageEncrypted': 'false'}}})
    expect(matcher.matches(ifExists, request('rds:CreateDBCluster'))).toBe(true)
    expect(matcher.matches(ifExists, request('rds:CreateDBCluster', {'rds:StorageEncrypted': 'true'}))).toBe(false)
    expect(matcher.matches(ifExists, request('rds:CreateDBCluster', {'rds:StorageEncrypted': 'False'}))).toBe(true)
    const absent = statement({Action: '*', Condition: {Null: {'aws:RequestTag/Owner': 'true'}}})
    expect(matcher.matches(absent, request('ec2:CreateVolume'))).toBe(true)
    expect(matcher.matches(absent, request('ec2:CreateVolume', {'aws:RequestTag/Owner': 'alice'}))).toBe(false)
    const present = statement({Action: '*', Condition: {Null: {'s3:x-amz-server-side-encryption': 'false'}}})
    expect(matcher.matches(present, request('s3:PutObject'))).toBe(false)
    expect(matcher.matches(present, request('s3:PutObject', {'s3:x-amz-server-side-encryption': 'AES256'}))).toBe(true)
  })

  it('reads condition keys case-insensitively and values case-sensitively', () => {
    const prod = statement({Action: '*', Condition: {StringEquals: {'AWS:requestedREGION': 'eu-west-1'}}})
    expect(matcher.matches(prod, request('s3:GetObject', {'aws:RequestedRegion': 'eu-west-1'}))).toBe(true)
    expect(matcher.matches(prod, request('s3:GetObject', {'aws:RequestedRegion': 'EU-WEST-1'}))).toBe(false)
  })

  it('matches each of the six ARN parts on its own: the resource part may hold colons', () => {
    const logs = statement({Action: '*', Condition: {ArnLike: {'aws:SourceArn': 'arn:aws:logs:*:*:log-group:*'}}})
    expect(matcher.matches(logs, request('kms:Decrypt', {'aws:SourceArn': 'arn:aws:logs:eu-west-1:333333333333:log-group:/fintech/ledger:*'}))).toBe(true)
    expect(matcher.matches(logs, request('kms:Decrypt', {'aws:SourceArn': 'arn:aws:s3:eu-west-1:333333333333:log-group:x'}))).toBe(false)
    const roles = statement({Action: '*', Condition: {ArnLike: {'aws:PrincipalArn': 'arn:aws:iam::*:role/fintech-*'}}})
    expect(matcher.matches(roles, request('s3:GetObject', {'aws:PrincipalArn': 'arn:aws:iam::333333333333:role/fintech-deploy'}))).toBe(true)
    expect(matcher.matches(roles, request('s3:GetObject', {'aws:PrincipalArn': 'arn:aws:iam::333333333333:user/fintech-deploy'}))).toBe(false)
  })

  it('handles the set operators over multi-valued keys, a missing key included', () => {
    const onlyKnownTags = statement({Action: '*', Condition: {'ForAllValues:StringEquals': {'aws:TagKeys': ['Owner', 'Environment']}}})
    expect(matcher.matches(onlyKnownTags, request('ec2:CreateTags', {'aws:TagKeys': ['Owner', 'Environment']}))).toBe(true)
    expect(matcher.matches(onlyKnownTags, request('ec2:CreateTags', {'aws:TagKeys': ['Owner', 'Secret']}))).toBe(false)
    expect(matcher.matches(onlyKnownTags, request('ec2:CreateTags'))).toBe(true)
    const anySecret = statement({Action: '*', Condition: {'ForAnyValue:StringLike': {'aws:TagKeys': 'secret*'}}})
    expect(matcher.matches(anySecret, request('ec2:CreateTags', {'aws:TagKeys': ['Owner', 'secret-x']}))).toBe(true)
    expect(matcher.matches(anySecret, request('ec2:CreateTags'))).toBe(false)
  })

  it('compares numbers as numbers and addresses as CIDR ranges', () => {
    const big = statement({Action: 'ec2:CreateVolume', Condition: {NumericGreaterThan: {'ec2:VolumeSize': '1000'}}})
    expect(matcher.matches(big, request('ec2:CreateVolume', {'ec2:VolumeSize': '2000'}))).toBe(true)
    expect(matcher.matches(big, request('ec2:CreateVolume', {'ec2:VolumeSize': '200'}))).toBe(false)
    const office = statement({Action: '*', Condition: {NotIpAddress: {'aws:SourceIp': ['203.0.113.0/24']}}})
    expect(matcher.matches(office, request('s3:GetObject', {'aws:SourceIp': '203.0.113.9'}))).toBe(false)
    expect(matcher.matches(office, request('s3:GetObject', {'aws:SourceIp': '198.51.100.1'}))).toBe(true)
  })
})

const policy = (name: string, statements: unknown[]): {name: string; document: PolicyDocument} => {
  const {document, problems} = readPolicyDocument({Version: '2012-10-17', Statement: statements})
  expect(problems).toEqual([])
  return {name, document}
}

describe('the SCP chain', () => {
  const denyDelete = policy('protect', [{Sid: 'NoDelete', Effect: 'Deny', Action: 'rds:DeleteDBCluster', Resource: '*'}])
  const allowListEc2 = policy('allow-ec2', [{Sid: 'OnlyEc2', Effect: 'Allow', Action: 'ec2:*', Resource: '*'}])
  const principal = parsePrincipal('arn:aws:iam::333333333333:role/app')
  const ask = (action: string) => buildRequest({action, principal, region: 'eu-west-1'})

  it('allows when every level allows and nothing denies, naming the allowing statement at each level', () => {
    const decision = evaluateChain(matcher, [{target: 'root', policies: [FULL_AWS_ACCESS, denyDelete]}, {target: 'account:prod', policies: [FULL_AWS_ACCESS]}], ask('ecs:UpdateService'))
    expect(decision).toMatchObject({decision: 'allowed', reason: 'allowed'})
    expect(decision.allowedBy).toEqual([
      {target: 'root', policy: 'FullAWSAccess', statement: 'Statement[0]'},
      {target: 'account:prod', policy: 'FullAWSAccess', statement: 'Statement[0]'},
    ])
  })

  it('lets an explicit Deny at any level decide, naming the policy and the Sid', () => {
    const decision = evaluateChain(matcher, [{target: 'root', policies: [FULL_AWS_ACCESS]}, {target: 'ou:Prod', policies: [FULL_AWS_ACCESS, denyDelete]}], ask('rds:DeleteDBCluster'))
    expect(decision).toMatchObject({decision: 'denied', reason: 'explicit-deny', deniedBy: {target: 'ou:Prod', policy: 'protect', statement: 'NoDelete'}})
    expect(decision.levels.map((level) => level.outcome)).toEqual(['allowed', 'denied'])
  })

  it('denies at a level where no attached policy allows, even when the levels above allow', () => {
    const decision = evaluateChain(matcher, [{target: 'root', policies: [FULL_AWS_ACCESS]}, {target: 'ou:Sandbox', policies: [allowListEc2]}], ask('rds:CreateDBCluster'))
    expect(decision).toMatchObject({decision: 'denied', reason: 'no-allow', deniedBy: {target: 'ou:Sandbox', policy: '', statement: ''}})
    expect(evaluateChain(matcher, [{target: 'root', policies: [FULL_AWS_ACCESS]}, {target: 'ou:Sandbox', policies: [allowListEc2]}], ask('ec2:RunInstances')).decision).toBe('allowed')
  })
})

describe('the request', () => {
  it('fills aws:PrincipalArn with the role of an assumed-role session, as IAM does', () => {
    const principal = parsePrincipal('arn:aws:sts::333333333333:assumed-role/fintech-break-glass/alice')
    expect(principal).toEqual({
      arn: 'arn:aws:sts::333333333333:assumed-role/fintech-break-glass/alice',
      principalArn: 'arn:aws:iam::333333333333:role/fintech-break-glass',
      account: '333333333333',
      type: 'AssumedRole',
      serviceLinked: false,
    })
    expect(parsePrincipal('arn:aws:iam::333333333333:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS').serviceLinked).toBe(true)
    expect(parsePrincipal('arn:aws:iam::333333333333:root').type).toBe('Account')
  })

  it('lets --context override the derived keys and repeat a key for a multi-valued one', () => {
    const built = buildRequest({
      action: 's3:PutObject',
      principal: parsePrincipal('arn:aws:iam::333333333333:role/app'),
      region: 'eu-west-1',
      context: parseContextPairs(['aws:RequestedRegion=us-east-1', 'aws:TagKeys=Owner', 'aws:TagKeys=Environment']),
    })
    expect(Object.fromEntries(built.context)).toEqual({
      'aws:principalarn': ['arn:aws:iam::333333333333:role/app'],
      'aws:principalaccount': ['333333333333'],
      'aws:principaltype': ['AssumedRole'],
      'aws:requestedregion': ['us-east-1'],
      'aws:tagkeys': ['Owner', 'Environment'],
    })
  })

  it('refuses a malformed principal, context pair or action as bad input', () => {
    expect(() => parsePrincipal('alice')).toThrow(/--principal alice: not an IAM principal ARN/)
    expect(() => parseContextPairs(['novalue'])).toThrow(/--context novalue: write it as key=value/)
    expect(() => buildRequest({action: 'rds:Delete*', principal: parsePrincipal('arn:aws:iam::333333333333:role/app'), region: 'eu-west-1'})).toThrow(/name one action/)
  })
})
