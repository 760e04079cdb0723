import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetStackPolicyCommand,
  GetTemplateCommand,
  UpdateTerminationProtectionCommand,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import {cfn, notFound, resetAws, stack} from '../helpers/aws-mocks.js'
import {CONFIG, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const PRIMARY = 'eu-west-1'
const RECOVERY = 'eu-central-1'

const SECONDARY_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  VpcId: {Type: String}
  PrimaryTableName: {Type: String}
Resources:
  Topic: {Type: AWS::SNS::Topic}
`

/** prod gets a recovery region, and each stage a stack there that reads outputs of both regions. */
const RECOVERY_CONFIG = CONFIG.replace('    protected: true\n', `    protected: true\n    recovery: {region: ${RECOVERY}}\n`).replace(
  '          VpcId: {stackOutput: vpc.VpcId}\n',
  `          VpcId: {stackOutput: vpc.VpcId}
      - id: db-recovery
        template: templates/secondary.yaml
        region: recovery
        envs: [prod]
        parameters:
          VpcId: {stackOutput: vpc-recovery.VpcId}
          PrimaryTableName: {stackOutput: db.TableName}
`,
).replace(
  '        template: templates/vpc.yaml\n',
  `        template: templates/vpc.yaml
      - id: vpc-recovery
        template: templates/vpc.yaml
        region: recovery
        envs: [prod]
`,
)

const regionOf = (client: CloudFormationClient) => client.config.region()

/** Answers every deletion of this kind with {} and records the region and name of each. */
function recordDeletions(kind: 'ChangeSetName' | 'StackName'): Array<[string, string | undefined]> {
  const seen: Array<[string, string | undefined]> = []
  const record = async (name: string | undefined, client: CloudFormationClient) => {
    seen.push([await regionOf(client), name])
    return {}
  }
  if (kind === 'ChangeSetName') cfn.on(DeleteChangeSetCommand).callsFake(async (input, getClient) => record(input.ChangeSetName, getClient()))
  else cfn.on(DeleteStackCommand).callsFake(async (input, getClient) => record(input.StackName, getClient()))
  return seen
}

/**
 * CloudFormation of two regions of one account: a stack exists only in the region it was
 * created in, so a call sent to the wrong region finds nothing (as AWS would answer).
 */
class TwoRegionCloudFormation {
  stacks = new Map<string, {status: string; outputs: Record<string, string>}>()
  requests: Array<{region: string; command: string; stackName: string}> = []

  /** `createdOutputs`: the outputs a stack gets when its change set runs, by stack name. */
  constructor(private readonly createdOutputs: Record<string, Record<string, string>> = {}) {
    cfn.on(DescribeStacksCommand).callsFake(async (input, getClient) => {
      const region = await this.note(getClient(), 'DescribeStacks', input.StackName)
      const found = this.stacks.get(`${region}/${input.StackName}`)
      if (!found) throw notFound(input.StackName)
      return stack(input.StackName, found.status, {Outputs: Object.entries(found.outputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))})
    })
    cfn.on(CreateChangeSetCommand).callsFake(async (input, getClient) => {
      const region = await this.note(getClient(), 'CreateChangeSet', input.StackName)
      return {Id: `${region}|${input.StackName}`, StackId: `arn:aws:cloudformation:${region}:333333333333:stack/${input.StackName}/1`}
    })
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: 'CREATE_COMPLETE',
      ExecutionStatus: 'AVAILABLE',
      CreationTime: new Date(),
      Changes: [{Type: 'Resource', ResourceChange: {Action: 'Add', LogicalResourceId: 'Topic', ResourceType: 'AWS::SNS::Topic', Scope: [], Details: []}}],
    })
    cfn.on(ExecuteChangeSetCommand).callsFake(async (input, getClient) => {
      const [changeSetRegion, stackName] = input.ChangeSetName.split('|')
      const region = await this.note(getClient(), 'ExecuteChangeSet', stackName)
      if (region !== changeSetRegion) throw new Error(`change set of ${changeSetRegion} executed in ${region}`)
      this.stacks.set(`${region}/${stackName}`, {status: 'CREATE_COMPLETE', outputs: this.createdOutputs[stackName!] ?? {VpcId: `vpc-${region}`, TableName: `sessions-${region}`}})
      return {}
    })
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    cfn.on(GetStackPolicyCommand).resolves({})
    cfn.on(GetTemplateCommand).resolves({TemplateBody: 'Resources: {}'})
    cfn.on(UpdateTerminationProtectionCommand).callsFake(async (input, getClient) => {
      await this.note(getClient(), 'UpdateTerminationProtection', input.StackName)
      return {}
    })
  }

  deployed(region: string, stackName: string, outputs: Record<string, string>) {
    this.stacks.set(`${region}/${stackName}`, {status: 'CREATE_COMPLETE', outputs})
  }

  private async note(client: CloudFormationClient, command: string, stackName: string) {
    const region = await regionOf(client)
    this.requests.push({region, command, stackName})
    return region
  }
}

const project = () =>
  makeProject({'fintech.config.yaml': RECOVERY_CONFIG, 'templates/secondary.yaml': SECONDARY_TEMPLATE, 'params/prod.yaml': 'Cidr: 10.3.0.0/16\n'})

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws('333333333333')
})

describe('fintech deploy of an env with a recovery region', () => {
  it('deploys each recovery stack in the recovery region, fed by outputs read in the region of their stack', async () => {
    const aws = new TwoRegionCloudFormation()

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'prod', '--config', project(), '--yes', '--json'])

    expect(run.exitCode).toBe(0)
    const created = cfn.commandCalls(CreateChangeSetCommand).map((call) => call.args[0].input)
    expect(aws.requests.filter((request) => request.command === 'CreateChangeSet').map(({region, stackName}) => [region, stackName])).toEqual([
      [PRIMARY, 'fintech-prod-network'],
      [RECOVERY, 'fintech-prod-network-recovery'],
      [PRIMARY, 'fintech-prod-data'],
      [RECOVERY, 'fintech-prod-data-recovery'],
    ])
    expect(created.find((input) => input.StackName === 'fintech-prod-data')!.Parameters).toEqual([{ParameterKey: 'VpcId', ParameterValue: `vpc-${PRIMARY}`}])
    expect(created.find((input) => input.StackName === 'fintech-prod-data-recovery')!.Parameters).toEqual([
      {ParameterKey: 'VpcId', ParameterValue: `vpc-${RECOVERY}`},
      {ParameterKey: 'PrimaryTableName', ParameterValue: `sessions-${PRIMARY}`},
    ])
    // Every call about a recovery stack went to the recovery region, and no other call did.
    for (const request of aws.requests) expect([request.stackName, request.region]).toEqual([request.stackName, request.stackName.endsWith('-recovery') ? RECOVERY : PRIMARY])
    expect(run.json.stages.map((stage: {stacks: Array<{stackName: string; region: string; outcome: string}>}) => stage.stacks.map((s) => [s.stackName, s.region, s.outcome]))).toEqual([
      [
        ['fintech-prod-network', PRIMARY, 'created'],
        ['fintech-prod-network-recovery', RECOVERY, 'created'],
      ],
      [
        ['fintech-prod-data', PRIMARY, 'created'],
        ['fintech-prod-data-recovery', RECOVERY, 'created'],
      ],
    ])
    expect(audit.auditLines().filter((line) => line.stack === 'fintech-prod-data-recovery').map((line) => [line.action, line.result])).toEqual([
      ['create-change-set', 'ok'],
      ['execute-change-set', 'ok'],
      ['enable-termination-protection', 'ok'],
    ])
  })

  it('needs the same approval for a recovery stack of a protected env: refused without --yes, its change set deleted in its region', async () => {
    const aws = new TwoRegionCloudFormation()
    const deleted = recordDeletions('ChangeSetName')

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'prod', '--config', project(), '--json'])

    expect(run.exitCode).toBe(2)
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(run.json.stages[0].stacks.map((s: {stackName: string; outcome: string}) => [s.stackName, s.outcome])).toEqual([
      ['fintech-prod-network', 'blocked'],
      ['fintech-prod-network-recovery', 'blocked'],
    ])
    expect(deleted.sort()).toEqual([
      [RECOVERY, `${RECOVERY}|fintech-prod-network-recovery`],
      [PRIMARY, `${PRIMARY}|fintech-prod-network`],
    ])
    expect(aws.stacks.size).toBe(0)
  })

  it('reads an earlier recovery stack in the recovery region, and refuses naming that region when it is not there', async () => {
    const aws = new TwoRegionCloudFormation()
    aws.deployed(PRIMARY, 'fintech-prod-network', {VpcId: 'vpc-p'})
    // Deployed by mistake in the primary region: it does not count.
    aws.deployed(PRIMARY, 'fintech-prod-network-recovery', {VpcId: 'vpc-wrong-region'})

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', project(), '--yes'])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('stage data needs the earlier stages network deployed in prod; not ready:\n  fintech-prod-network-recovery (stage network, eu-central-1): not deployed')
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0)
    expect(aws.requests.filter((request) => request.command === 'DescribeStacks').map(({region, stackName}) => [region, stackName]).sort()).toEqual([
      [RECOVERY, 'fintech-prod-network-recovery'],
      [PRIMARY, 'fintech-prod-network'],
    ])
  })

  it('--dry-run makes the recovery stack\'s change set in its region and deletes it there, with its empty stack', async () => {
    const aws = new TwoRegionCloudFormation()
    aws.deployed(PRIMARY, 'fintech-prod-network', {VpcId: 'vpc-p'})
    aws.deployed(RECOVERY, 'fintech-prod-network-recovery', {VpcId: 'vpc-r'})
    aws.deployed(PRIMARY, 'fintech-prod-data', {TableName: 'sessions'})
    cfn.on(DeleteChangeSetCommand).callsFake(async (input, getClient) => ({region: await regionOf(getClient()), input}))
    const deletions = recordDeletions('StackName')

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', project(), '--dry-run'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(deletions).toEqual([[RECOVERY, 'fintech-prod-data-recovery']])
  })

  it('stops the first recovery deploy of a data stack that has a plain sessions table: the swap to a global table is a removal', async () => {
    const aws = new TwoRegionCloudFormation()
    aws.deployed(PRIMARY, 'fintech-prod-network', {VpcId: 'vpc-p'})
    aws.deployed(RECOVERY, 'fintech-prod-network-recovery', {VpcId: 'vpc-r'})
    aws.deployed(PRIMARY, 'fintech-prod-data', {TableName: 'sessions'})
    // What CloudFormation answers for data.yaml once RecoveryRegion is set (docs/recovery-region.md).
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: 'CREATE_COMPLETE',
      ExecutionStatus: 'AVAILABLE',
      CreationTime: new Date(),
      Changes: [
        {Type: 'Resource', ResourceChange: {Action: 'Remove', LogicalResourceId: 'SessionsTable', PhysicalResourceId: 'fintech-prod-data-SessionsTable-1', ResourceType: 'AWS::DynamoDB::Table', Scope: [], Details: []}},
        {Type: 'Resource', ResourceChange: {Action: 'Add', LogicalResourceId: 'SessionsGlobalTable', ResourceType: 'AWS::DynamoDB::GlobalTable', Scope: [], Details: []}},
      ],
    })

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', project(), '--yes', '--json'])

    expect(run.exitCode).toBe(2)
    expect(run.json.stages[0].stacks.map((s: {stackName: string; outcome: string}) => [s.stackName, s.outcome])).toEqual([
      ['fintech-prod-data', 'blocked'],
      ['fintech-prod-data-recovery', 'skipped'],
    ])
    expect(run.stderr).toContain('SessionsTable')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand).map((call) => call.args[0].input.ChangeSetName)).toEqual([`${PRIMARY}|fintech-prod-data`])
  })

  it('the offline plan of prod lists the stacks of both regions, each with its region', async () => {
    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'prod', '--config', project(), '--offline', '--json'])

    expect(run.exitCode).toBe(0)
    expect(cfn.calls()).toHaveLength(0)
    expect(run.json).toMatchObject({mode: 'offline', region: PRIMARY, recoveryRegion: RECOVERY})
    expect(run.json.stages.flatMap((stage: {stacks: Array<{stackName: string; region: string}>}) => stage.stacks.map((s) => [s.stackName, s.region]))).toEqual([
      ['fintech-prod-network', PRIMARY],
      ['fintech-prod-network-recovery', RECOVERY],
      ['fintech-prod-data', PRIMARY],
      ['fintech-prod-data-recovery', RECOVERY],
    ])
  })
})

describe('fintech deploy of prod\'s compute stage (the shipped config and templates)', () => {
  const SHIPPED = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
  const SHIPPED_RECOVERY = 'us-east-1'
  const kmsKey = (region: string, id: string) => `arn:aws:kms:${region}:333333333333:key/${id}`
  const network = (prefix: string) => ({
    VpcId: `vpc-${prefix}`,
    PublicSubnetIds: `subnet-${prefix}pub1,subnet-${prefix}pub2,subnet-${prefix}pub3`,
    AppSubnetIds: `subnet-${prefix}app1,subnet-${prefix}app2,subnet-${prefix}app3`,
    AlbSecurityGroupId: `sg-${prefix}alb`,
    AppSecurityGroupId: `sg-${prefix}app`,
  })
  const aurora = (prefix: string) => ({
    AuroraClusterId: `fintech-prod-aurora${prefix}`,
    AuroraClusterResourceId: `cluster-${prefix}RESOURCE`,
    AuroraWriterEndpoint: `writer${prefix}.example`,
    AuroraReaderEndpoint: `reader${prefix}.example`,
    AuroraPort: '5432',
    AuroraDatabaseName: 'ledger',
    SessionsTableName: 'fintech-prod-sessions',
    SessionsTableArn: `arn:aws:dynamodb:${prefix ? SHIPPED_RECOVERY : PRIMARY}:333333333333:table/fintech-prod-sessions`,
  })

  /** Foundation, networking and data of both regions deployed, with the outputs the compute stacks read. */
  function earlierStagesDeployed(aws: TwoRegionCloudFormation) {
    aws.deployed(PRIMARY, 'fintech-prod-foundation', {DataKeyArn: kmsKey(PRIMARY, 'a1'), LogsKeyArn: kmsKey(PRIMARY, 'a2'), AlarmTopicArn: `arn:aws:sns:${PRIMARY}:333333333333:fintech-prod-alarms`})
    aws.deployed(SHIPPED_RECOVERY, 'fintech-prod-foundation-recovery', {DataKeyArn: kmsKey(SHIPPED_RECOVERY, 'b1'), LogsKeyArn: kmsKey(SHIPPED_RECOVERY, 'b2')})
    aws.deployed(PRIMARY, 'fintech-prod-networking', network('p'))
    aws.deployed(SHIPPED_RECOVERY, 'fintech-prod-networking-recovery', network('r'))
    aws.deployed(PRIMARY, 'fintech-prod-data', {
      ...aurora(''),
      RedisAuthSecretArn: `arn:aws:secretsmanager:${PRIMARY}:333333333333:secret:fintech-prod-redis-AbCdEf`,
      RedisSentinelAddresses: '10.30.0.1:26379,10.30.0.2:26379,10.30.0.3:26379',
      RedisMasterName: 'fintech',
      RedisInstanceIds: 'i-1,i-2,i-3',
    })
    aws.deployed(SHIPPED_RECOVERY, 'fintech-prod-data-recovery', aurora('-recovery'))
  }

  it('creates the standby in the recovery region first, then the primary compute stack with its failover records pointing at the standby\'s load balancer', async () => {
    const standby = {LoadBalancerDnsName: 'fintech-standby-1.us-east-1.elb.amazonaws.com', LoadBalancerHostedZoneId: 'Z35SXDOTRQ7X7K', ClusterName: 'fintech-prod-recovery', ServiceName: 'ledger', TargetGroupArn: 'arn:tg'}
    const aws = new TwoRegionCloudFormation({'fintech-prod-compute-recovery': standby})
    earlierStagesDeployed(aws)

    const run = await runCli(Deploy, ['--stage', 'compute', '--env', 'prod', '--config', SHIPPED, '--yes', '--json'])

    expect(run.exitCode).toBe(0)
    expect(aws.requests.filter((request) => request.command !== 'DescribeStacks').map(({region, command, stackName}) => [region, command, stackName])).toEqual([
      [SHIPPED_RECOVERY, 'CreateChangeSet', 'fintech-prod-compute-recovery'],
      [SHIPPED_RECOVERY, 'ExecuteChangeSet', 'fintech-prod-compute-recovery'],
      [SHIPPED_RECOVERY, 'UpdateTerminationProtection', 'fintech-prod-compute-recovery'],
      [PRIMARY, 'CreateChangeSet', 'fintech-prod-compute'],
      [PRIMARY, 'ExecuteChangeSet', 'fintech-prod-compute'],
      [PRIMARY, 'UpdateTerminationProtection', 'fintech-prod-compute'],
    ])
    const parametersOf = (stackName: string) =>
      Object.fromEntries(cfn.commandCalls(CreateChangeSetCommand).find((call) => call.args[0].input.StackName === stackName)!.args[0].input.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]))
    expect(parametersOf('fintech-prod-compute-recovery')).toMatchObject({
      VpcId: 'vpc-r',
      DataKeyArn: kmsKey(SHIPPED_RECOVERY, 'b1'),
      AuroraWriterEndpoint: 'writer-recovery.example',
      RecoveryCertificateArn: 'arn:aws:acm:us-east-1:333333333333:certificate/4e3d2c1b-0a9f-4e8d-7c6b-5a4f3e2d1c0b',
    })
    expect(parametersOf('fintech-prod-compute')).toMatchObject({
      VpcId: 'vpc-p',
      HostedZoneId: 'Z04417263FINTECHPROD',
      FailoverRecordName: 'api.fintech-bank.example',
      RecoveryLoadBalancerDnsName: standby.LoadBalancerDnsName,
      RecoveryLoadBalancerHostedZoneId: standby.LoadBalancerHostedZoneId,
    })
    expect(audit.auditLines().filter((line) => line.stack === 'fintech-prod-compute-recovery').map((line) => [line.action, line.result])).toEqual([
      ['create-change-set', 'ok'],
      ['execute-change-set', 'ok'],
      ['enable-termination-protection', 'ok'],
      // The standby keeps its logs (a retained log group), so a stack policy guards them as in the primary.
      ['set-stack-policy', 'ok'],
    ])
  })

  it('--dry-run makes the standby\'s change set in the recovery region, deletes it and its empty stack there, and leaves the primary unbuilt', async () => {
    const aws = new TwoRegionCloudFormation()
    earlierStagesDeployed(aws)
    const deletions = recordDeletions('StackName')

    const run = await runCli(Deploy, ['--stage', 'compute', '--env', 'prod', '--config', SHIPPED, '--dry-run', '--json'])

    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(aws.requests.filter((request) => request.command === 'CreateChangeSet').map(({region, stackName}) => [region, stackName])[0]).toEqual([SHIPPED_RECOVERY, 'fintech-prod-compute-recovery'])
    expect(deletions).toContainEqual([SHIPPED_RECOVERY, 'fintech-prod-compute-recovery'])
    expect(run.json.stages[0].stacks.find((s: {stackName: string}) => s.stackName === 'fintech-prod-compute-recovery').region).toBe(SHIPPED_RECOVERY)
  })
})
