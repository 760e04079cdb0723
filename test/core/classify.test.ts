import {describe, expect, it} from 'vitest'
import {classifyChangeSet} from '../../src/core/changeset/classify.js'
import type {ResourceChange} from '../../src/core/deploy/api.js'
import {parseTemplate} from '../../src/core/template/parse.js'

const template = (body: string) => parseTemplate(`Resources:\n${body}`, 't.yaml')

const change = (partial: Partial<ResourceChange>): ResourceChange => ({
  action: 'Modify',
  logicalId: 'X',
  resourceType: 'AWS::SNS::Topic',
  scope: ['Properties'],
  details: [],
  ...partial,
})

const changeSet = (...changes: ResourceChange[]) => ({id: 'cs', status: 'CREATE_COMPLETE', changes})

const role = (actions: string[]) => `  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
${actions.map((action) => `              - {Effect: Allow, Action: ${action}, Resource: '*'}`).join('\n')}
`

describe('classifyChangeSet', () => {
  it('flags replacement of a stateful resource with the properties that cause it', () => {
    const next = template('  Db:\n    Type: AWS::RDS::DBCluster\n    Properties: {Engine: aurora-postgresql}\n')
    const result = classifyChangeSet(
      changeSet(
        change({
          logicalId: 'Db',
          resourceType: 'AWS::RDS::DBCluster',
          replacement: 'True',
          details: [
            {attribute: 'Properties', name: 'Engine', requiresRecreation: 'Always'},
            {attribute: 'Properties', name: 'BackupRetentionPeriod', requiresRecreation: 'Never'},
          ],
        }),
      ),
      next,
    )
    expect(result.destructive.map((entry) => [entry.logicalId, entry.risks, entry.replacementCauses])).toEqual([['Db', ['stateful-replacement'], ['Engine']]])
  })

  it('counts a conditional replacement and a removal of stateful resources as destructive', () => {
    const next = template('  Other: {Type: AWS::SNS::Topic}\n')
    const previous = template('  Table: {Type: AWS::DynamoDB::Table}\n  Logs: {Type: AWS::Logs::LogGroup}\n  Other: {Type: AWS::SNS::Topic}\n')
    const result = classifyChangeSet(
      changeSet(
        change({logicalId: 'Table', resourceType: 'AWS::DynamoDB::Table', action: 'Remove'}),
        change({logicalId: 'Logs', resourceType: 'AWS::Logs::LogGroup', replacement: 'Conditional'}),
        change({logicalId: 'Other', resourceType: 'AWS::SNS::Topic', replacement: 'True'}),
      ),
      next,
      previous,
    )
    expect(result.destructive.map((entry) => [entry.logicalId, entry.risks])).toEqual([
      ['Table', ['stateful-removal']],
      ['Logs', ['stateful-replacement']],
    ])
    expect(result.counts).toEqual({add: 0, modify: 2, remove: 1})
  })

  it('lets a template mark an EC2 instance as holding no data, with a written reason', () => {
    const replaced = changeSet(change({logicalId: 'Worker', resourceType: 'AWS::EC2::Instance', replacement: 'True'}))
    const explained = template('  Worker:\n    Type: AWS::EC2::Instance\n    Metadata: {fintech: {stateful: false, statelessReason: a stateless batch worker}}\n')
    expect(classifyChangeSet(replaced, explained).destructive).toEqual([])
    // Without a written reason the opt-out does not count: the type decides.
    const unexplained = template('  Worker:\n    Type: AWS::EC2::Instance\n    Metadata: {fintech: {stateful: false}}\n')
    expect(classifyChangeSet(replaced, unexplained).destructive.map((entry) => entry.logicalId)).toEqual(['Worker'])
  })

  it('treats an added Allow statement as broadening and a removed one as not', () => {
    const narrow = template(role(['s3:GetObject']))
    const wide = template(role(['s3:GetObject', 's3:PutObject']))
    const roleChange = changeSet(change({logicalId: 'Role', resourceType: 'AWS::IAM::Role'}))

    const widened = classifyChangeSet(roleChange, wide, narrow)
    expect(widened.broadening).toHaveLength(1)
    expect(widened.broadening[0]!.broadening).toEqual(['inline policy allows {"Action":"s3:PutObject","Effect":"Allow","Resource":"*"}'])

    expect(classifyChangeSet(roleChange, narrow, wide).broadening).toEqual([])
  })

  it('treats a new security-group ingress rule as broadening, also as a separate resource', () => {
    const before = template('  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]\n')
    const after = template(
      '  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}]\n' +
        '  Ssh:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties: {GroupId: !Ref Sg, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n',
    )
    const result = classifyChangeSet(
      changeSet(
        change({logicalId: 'Sg', resourceType: 'AWS::EC2::SecurityGroup'}),
        change({logicalId: 'Ssh', resourceType: 'AWS::EC2::SecurityGroupIngress', action: 'Add'}),
      ),
      after,
      before,
    )
    expect(result.broadening.map((entry) => entry.logicalId)).toEqual(['Sg', 'Ssh'])
  })

  it('counts every grant of a new stack as broadening, since nothing was granted before', () => {
    const next = template(role(['s3:GetObject']))
    const result = classifyChangeSet(changeSet(change({logicalId: 'Role', resourceType: 'AWS::IAM::Role', action: 'Add'})), next)
    expect(result.broadening[0]!.broadening).toHaveLength(2)
  })

  it('does not count Deny statements as grants', () => {
    const withDeny = template(role(['s3:GetObject']).replace("- {Effect: Allow, Action: s3:GetObject", "- {Effect: Deny, Action: s3:GetObject"))
    const before = template(role([]).replace('            Statement:\n', '            Statement: []\n'))
    expect(classifyChangeSet(changeSet(change({logicalId: 'Role', resourceType: 'AWS::IAM::Role'})), withDeny, before).broadening).toEqual([])
  })

  it('counts a permission property changed through a parameter as widening, since its direction is unknown', () => {
    const sg = template('  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: !Ref AllowedCidr}]\n')
    const result = classifyChangeSet(
      changeSet(
        change({
          logicalId: 'Sg',
          resourceType: 'AWS::EC2::SecurityGroup',
          details: [{attribute: 'Properties', name: 'SecurityGroupIngress', requiresRecreation: 'Never', changeSource: 'ParameterReference', causingEntity: 'AllowedCidr'}],
        }),
      ),
      sg,
      sg,
    )
    expect(result.broadening[0]!.broadening).toEqual(['SecurityGroupIngress changes with parameter AllowedCidr'])
  })
})
