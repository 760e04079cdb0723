import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

export const VPC_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: network
Parameters:
  Cidr:
    Type: String
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: !Ref Cidr
Outputs:
  VpcId:
    Value: !Ref Vpc
`

export const DATA_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: data
Parameters:
  VpcId:
    Type: String
  TableName:
    Type: String
    Default: sessions
Resources:
  Sessions:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      TableName: !Ref TableName
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: ecs-tasks.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: sessions
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:GetItem
                Resource: !GetAtt Sessions.Arn
Outputs:
  TableName:
    Value: !Ref Sessions
`

export const CONFIG = `project: fintech
polling: {initialMs: 1, maxMs: 2}
environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    parameterFile: params/dev.yaml
    tags: {Environment: dev, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: internal}
  prod:
    account: "333333333333"
    region: eu-west-1
    protected: true
    parameterFile: params/prod.yaml
    tags: {Environment: prod, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: restricted}
stages:
  - name: network
    stacks:
      - id: vpc
        template: templates/vpc.yaml
  - name: data
    stacks:
      - id: db
        template: templates/data.yaml
        parameters:
          VpcId: {stackOutput: vpc.VpcId}
`

/** Writes a throw-away project (config, templates, parameter files) and returns its config path. */
export function makeProject(files: Record<string, string | undefined> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-test-'))
  const all: Record<string, string | undefined> = {
    'fintech.config.yaml': CONFIG,
    'templates/vpc.yaml': VPC_TEMPLATE,
    'templates/data.yaml': DATA_TEMPLATE,
    'params/dev.yaml': 'Cidr: 10.1.0.0/16\n',
    'params/prod.yaml': 'Cidr: 10.3.0.0/16\n',
    ...files,
  }
  for (const [path, text] of Object.entries(all)) {
    if (text === undefined) continue
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  return join(dir, 'fintech.config.yaml')
}

/** A stage each for what `fintech dr status` reads: the baseline's, the data stack's and the compute stack's outputs. */
const DR_STAGES = `stages:
  - name: foundation
    stacks:
      - id: baseline
        template: templates/vpc.yaml
  - name: data
    stacks:
      - id: data
        template: templates/data.yaml
  - name: compute
    stacks:
      - id: compute
        template: templates/vpc.yaml
`

/** The test project with prod (account 333333333333) failing over to `recoveryRegion`, dev without a recovery region; `extra` ends the file. */
export function makeDrProject(recoveryRegion: string, extra = ''): string {
  const head = CONFIG.slice(0, CONFIG.indexOf('stages:')).replace('    protected: true\n', `    protected: true\n    recovery: {region: ${recoveryRegion}, rpoSeconds: 60}\n`)
  return makeProject({'fintech.config.yaml': `${head}${DR_STAGES}${extra}`})
}
