import {makeProject} from './project.js'

/** A project with a management env and two StackSets of the foundation baseline (test/commands/deploy-org.test.ts). */
export const BASELINE_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Description: baseline
Parameters:
  EnvironmentName:
    Type: String
    AllowedValues: [dev, prod]
  BudgetUsd:
    Type: Number
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub fintech-\${EnvironmentName}-alarms
`

const MANAGEMENT_TAGS = '{Environment: management, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: internal}'

export const ORG_CONFIG = `project: fintech
polling: {initialMs: 1, maxMs: 2}
environments:
  management:
    account: "444444444444"
    region: us-east-1
    protected: true
    tags: ${MANAGEMENT_TAGS}
  dev:
    account: "111111111111"
    region: eu-west-1
    parameterFile: params/dev.yaml
    tags: {Environment: dev, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: internal}
  prod:
    account: "333333333333"
    region: eu-west-1
    parameterFile: params/prod.yaml
    tags: {Environment: prod, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: restricted}
organization:
  stackSets:
    - name: fintech-baseline-dev
      stack: baseline
      env: dev
      organizationalUnits: [ou-ab12-dev00001]
      regions: [eu-west-1, us-east-1]
      maxConcurrentPercentage: 50
      failureTolerancePercentage: 10
    - name: fintech-baseline-prod
      stack: baseline
      env: prod
      organizationalUnits: [ou-ab12-prod0001, ou-ab12-prod0002]
      regions: [eu-west-1]
      maxConcurrentPercentage: 10
      failureTolerancePercentage: 0
      autoDeployment: {enabled: true, retainStacksOnAccountRemoval: true}
stages:
  - name: foundation
    stacks:
      - id: baseline
        template: templates/baseline.yaml
        envs: [dev, prod]
        parameters:
          EnvironmentName: {env: name}
`

export const DEV_TAGS = [
  {Key: 'Environment', Value: 'dev'},
  {Key: 'CostCenter', Value: 'CC-1'},
  {Key: 'Owner', Value: 'platform'},
  {Key: 'Service', Value: 'ledger'},
  {Key: 'DataClassification', Value: 'internal'},
  {Key: 'fintech:stage', Value: 'foundation'},
]

export const orgProject = (files: Record<string, string | undefined> = {}) =>
  makeProject({
    'fintech.config.yaml': ORG_CONFIG,
    'templates/baseline.yaml': BASELINE_TEMPLATE,
    'templates/vpc.yaml': undefined,
    'templates/data.yaml': undefined,
    'params/dev.yaml': 'BudgetUsd: 500\n',
    'params/prod.yaml': 'BudgetUsd: 20000\n',
    ...files,
  })
