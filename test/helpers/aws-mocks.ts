import {
  CloudFormationClient,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation'
import {GuardDutyClient, ListDetectorsCommand} from '@aws-sdk/client-guardduty'
import {S3Client} from '@aws-sdk/client-s3'
import {DescribeHubCommand, SecurityHubClient} from '@aws-sdk/client-securityhub'
import {STSClient, GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {mkdtempSync, readFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const cfn = mockClient(CloudFormationClient)
export const sts = mockClient(STSClient)
export const s3 = mockClient(S3Client)
export const securityHub = mockClient(SecurityHubClient)
export const guardDuty = mockClient(GuardDutyClient)

/** What Security Hub answers an account that is not subscribed to it. */
export const notSubscribed = () =>
  Object.assign(new Error('Account 111111111111 is not subscribed to AWS Security Hub'), {name: 'InvalidAccessException', $metadata: {httpStatusCode: 401}})

export const CALLER_ARN = 'arn:aws:sts::111111111111:assumed-role/platform/alice'

/** Resets every mock, answers STS for `account`, and points the audit log at a fresh file. */
export function resetAws(account = '111111111111'): {auditLines: () => any[]} {
  cfn.reset()
  sts.reset()
  s3.reset()
  // Security services off unless a test turns them on: `fintech status` reads them in every env.
  securityHub.reset()
  guardDuty.reset()
  securityHub.on(DescribeHubCommand).rejects(notSubscribed())
  guardDuty.on(ListDetectorsCommand).resolves({DetectorIds: []})
  sts.on(GetCallerIdentityCommand).resolves({Account: account, Arn: CALLER_ARN.replace('111111111111', account), UserId: 'AIDA'})
  const auditFile = join(mkdtempSync(join(tmpdir(), 'fintech-audit-')), 'audit.jsonl')
  process.env.FINTECH_AUDIT_LOG = auditFile
  delete process.env.AWS_ENDPOINT_URL
  return {
    auditLines: () => (existsSync(auditFile) ? readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []),
  }
}

export const notFound = (name: string) =>
  Object.assign(new Error(`Stack with id ${name} does not exist`), {name: 'ValidationError'})

export function stack(name: string, status: string, extra: Partial<Stack> = {}): {Stacks: Stack[]} {
  return {
    Stacks: [
      {
        StackName: name,
        StackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/1`,
        StackStatus: status as Stack['StackStatus'],
        CreationTime: new Date('2026-11-01T00:00:00Z'),
        ...extra,
      },
    ],
  }
}

export const stackId = (name: string) => `arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/1`

export function event(name: string, logicalId: string, status: string, extra: Partial<StackEvent> = {}): StackEvent {
  return {
    StackName: name,
    StackId: stackId(name),
    EventId: `${logicalId}-${status}-${Math.random()}`,
    LogicalResourceId: logicalId,
    ResourceType: logicalId === name ? 'AWS::CloudFormation::Stack' : 'AWS::EC2::VPC',
    ResourceStatus: status as StackEvent['ResourceStatus'],
    Timestamp: new Date(Date.now() + 60_000),
    ...extra,
  }
}

export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({Key, Value}))

export const DEV_TAGS = {Environment: 'dev', CostCenter: 'CC-1', Owner: 'platform', Service: 'ledger', DataClassification: 'internal'}
