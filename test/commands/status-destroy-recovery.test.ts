/**
 * status and destroy of an env with a recovery region: every stack is read and deleted in the
 * region it lives in. CloudFormation is mocked per region (a stack exists only where it was
 * created, as in AWS); moto skips AWS::RDS::DBCluster and has no AWS::RDS::GlobalCluster in
 * CloudFormation, so the global-database guard is covered with a mocked RDS.
 */
import {
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  type CloudFormationClient,
} from '@aws-sdk/client-cloudformation'
import {DescribeGlobalClustersCommand, RDSClient} from '@aws-sdk/client-rds'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'
import Destroy from '../../src/commands/destroy.js'
import Status from '../../src/commands/status.js'
import {cfn, notFound, resetAws, stack} from '../helpers/aws-mocks.js'
import {CONFIG, VPC_TEMPLATE, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const PRIMARY = 'eu-west-1'
const RECOVERY = 'eu-central-1'
const rds = mockClient(RDSClient)

const PRIMARY_DATA_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  VpcId: {Type: String}
  EnvironmentName: {Type: String, Default: dev}
Resources:
  Cluster:
    Type: AWS::RDS::DBCluster
    DeletionPolicy: Snapshot
    Properties: {Engine: aurora-postgresql}
  Global:
    Type: AWS::RDS::GlobalCluster
    DeletionPolicy: Retain
    Properties:
      GlobalClusterIdentifier: !Sub fintech-\${EnvironmentName}-ledger-global
      SourceDBClusterIdentifier: !Sub arn:\${AWS::Partition}:rds:\${AWS::Region}:\${AWS::AccountId}:cluster:\${Cluster}
Outputs:
  TableName: {Value: sessions}
`

const SECONDARY_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  VpcId: {Type: String}
  PrimaryTableName: {Type: String}
Resources:
  Secondary:
    Type: AWS::RDS::DBCluster
    DeletionPolicy: Snapshot
    Properties: {Engine: aurora-postgresql, GlobalClusterIdentifier: fintech-dev-ledger-global}
`

/** dev gets a recovery region, and each stage a stack there (the data one reads the primary's output, so it deploys after it). */
const RECOVERY_CONFIG = CONFIG.replace('    parameterFile: params/dev.yaml\n', `    parameterFile: params/dev.yaml\n    recovery: {region: ${RECOVERY}}\n`)
  .replace(
    '          VpcId: {stackOutput: vpc.VpcId}\n',
    `          VpcId: {stackOutput: vpc.VpcId}
      - id: db-recovery
        template: templates/secondary.yaml
        region: recovery
        envs: [dev]
        parameters:
          VpcId: {stackOutput: vpc-recovery.VpcId}
          PrimaryTableName: {stackOutput: db.TableName}
`,
  )
  .replace(
    '        template: templates/vpc.yaml\n',
    `        template: templates/vpc.yaml
      - id: vpc-recovery
        template: templates/vpc.yaml
        region: recovery
        envs: [dev]
`,
  )

const project = (dataTemplate = PRIMARY_DATA_TEMPLATE) =>
  makeProject({'fintech.config.yaml': RECOVERY_CONFIG, 'templates/secondary.yaml': SECONDARY_TEMPLATE, 'templates/data.yaml': dataTemplate})

const regionOf = (client: CloudFormationClient) => client.config.region()
const idOf = (region: string, name: string) => `arn:aws:cloudformation:${region}:111111111111:stack/${name}/1`

/** CloudFormation of two regions of one account; every request is recorded with the region it went to. */
class TwoRegionCloudFormation {
  stacks = new Map<string, {name: string; status: string; template: string; extra?: object}>()
  requests: Array<[string, string, string]> = []

  constructor() {
    cfn.on(DescribeStacksCommand).callsFake(async (input, getClient) => {
      const region = await this.note(getClient(), 'DescribeStacks', input.StackName)
      const found = this.stacks.get(`${region}/${input.StackName}`) ?? [...this.stacks.entries()].find(([key]) => key === `${region}/${input.StackName}`)?.[1]
      const byId = [...this.stacks.values()].find((entry) => idOf(region, entry.name) === input.StackName)
      if (byId) return stack(byId.name, 'DELETE_COMPLETE', {StackId: input.StackName})
      if (!found) throw notFound(input.StackName!)
      return stack(found.name, found.status, {StackId: idOf(region, found.name), Parameters: [{ParameterKey: 'EnvironmentName', ParameterValue: 'dev'}], ...found.extra})
    })
    cfn.on(GetTemplateCommand).callsFake(async (input, getClient) => {
      const region = await this.note(getClient(), 'GetTemplate', input.StackName)
      const found = [...this.stacks.values()].find((entry) => idOf(region, entry.name) === input.StackName)
      if (!found) throw notFound(input.StackName!)
      return {TemplateBody: found.template}
    })
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    cfn.on(DeleteStackCommand).callsFake(async (input, getClient) => {
      await this.note(getClient(), 'DeleteStack', input.StackName)
      return {}
    })
  }

  deployed(region: string, name: string, template: string, extra?: object) {
    this.stacks.set(`${region}/${name}`, {name, status: 'CREATE_COMPLETE', template, extra})
  }

  /** The whole env as deployed: both regions, every stage. */
  all(dataTemplate = PRIMARY_DATA_TEMPLATE) {
    this.deployed(PRIMARY, 'fintech-dev-network', VPC_TEMPLATE)
    this.deployed(RECOVERY, 'fintech-dev-network-recovery', VPC_TEMPLATE, {LastUpdatedTime: new Date('2026-12-01T09:00:00Z'), DriftInformation: {StackDriftStatus: 'IN_SYNC'}})
    this.deployed(PRIMARY, 'fintech-dev-data', dataTemplate)
    this.deployed(RECOVERY, 'fintech-dev-data-recovery', SECONDARY_TEMPLATE)
  }

  private async note(client: CloudFormationClient, command: string, name = '') {
    const region = await regionOf(client)
    this.requests.push([region, command, name.startsWith('arn:') ? name.split('/')[1]! : name])
    return region
  }
}

let audit: ReturnType<typeof resetAws>
let aws: TwoRegionCloudFormation
beforeEach(() => {
  audit = resetAws()
  rds.reset()
  aws = new TwoRegionCloudFormation()
})

describe('fintech status of an env with a recovery region', () => {
  it('reads each stack in its own region and shows the region', async () => {
    aws.all()
    const run = await runCli(Status, ['--env', 'dev', '--config', project(), '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.envs[0].stages).toEqual([
      {
        name: 'network',
        stacks: [
          {id: 'vpc', stackName: 'fintech-dev-network', region: PRIMARY, status: 'CREATE_COMPLETE', lastUpdated: '2026-11-01T00:00:00.000Z', drift: 'NOT_CHECKED', terminationProtection: false},
          {id: 'vpc-recovery', stackName: 'fintech-dev-network-recovery', region: RECOVERY, status: 'CREATE_COMPLETE', lastUpdated: '2026-12-01T09:00:00.000Z', drift: 'IN_SYNC', terminationProtection: false},
        ],
      },
      {
        name: 'data',
        stacks: [
          {id: 'db', stackName: 'fintech-dev-data', region: PRIMARY, status: 'CREATE_COMPLETE', lastUpdated: '2026-11-01T00:00:00.000Z', drift: 'NOT_CHECKED', terminationProtection: false},
          {id: 'db-recovery', stackName: 'fintech-dev-data-recovery', region: RECOVERY, status: 'CREATE_COMPLETE', lastUpdated: '2026-11-01T00:00:00.000Z', drift: 'NOT_CHECKED', terminationProtection: false},
        ],
      },
    ])
    expect(aws.requests.filter(([, command]) => command === 'DescribeStacks').sort()).toEqual([
      [RECOVERY, 'DescribeStacks', 'fintech-dev-data-recovery'],
      [RECOVERY, 'DescribeStacks', 'fintech-dev-network-recovery'],
      [PRIMARY, 'DescribeStacks', 'fintech-dev-data'],
      [PRIMARY, 'DescribeStacks', 'fintech-dev-network'],
    ])
  })

  it('reports a recovery stack created by mistake in the primary region as not deployed, naming its region', async () => {
    aws.deployed(PRIMARY, 'fintech-dev-network-recovery', VPC_TEMPLATE)
    const run = await runCli(Status, ['--env', 'dev', '--config', project()])

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/network[\s│]+fintech-dev-network-recovery[\s│]+eu-central-1[\s│]+NOT_DEPLOYED/)
  })
})

describe('fintech destroy of an env with a recovery region', () => {
  const detached = () => rds.on(DescribeGlobalClustersCommand).resolves({GlobalClusters: [{GlobalClusterIdentifier: 'fintech-dev-ledger-global', GlobalClusterMembers: []}]})

  it('deletes in reverse deploy order, each stack in its region: the secondary before the primary data stack', async () => {
    aws.all()
    detached()
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', project(), '--yes', '--json'])

    expect(run.exitCode).toBe(0)
    expect(aws.requests.filter(([, command]) => command === 'DeleteStack')).toEqual([
      [RECOVERY, 'DeleteStack', 'fintech-dev-data-recovery'],
      [PRIMARY, 'DeleteStack', 'fintech-dev-data'],
      [RECOVERY, 'DeleteStack', 'fintech-dev-network-recovery'],
      [PRIMARY, 'DeleteStack', 'fintech-dev-network'],
    ])
    expect(run.json.stacks.map((entry: {stackName: string; region: string; outcome: string}) => [entry.stackName, entry.region, entry.outcome])).toEqual([
      ['fintech-dev-data-recovery', RECOVERY, 'deleted'],
      ['fintech-dev-data', PRIMARY, 'deleted'],
      ['fintech-dev-network-recovery', RECOVERY, 'deleted'],
      ['fintech-dev-network', PRIMARY, 'deleted'],
    ])
    expect(rds.commandCalls(DescribeGlobalClustersCommand).map((call) => call.args[0].input)).toEqual([{GlobalClusterIdentifier: 'fintech-dev-ledger-global'}])
    expect(audit.auditLines().map((line) => [line.stack, line.action, line.result])).toEqual([
      ['fintech-dev-data-recovery', 'delete-stack', 'ok'],
      ['fintech-dev-data', 'delete-stack', 'ok'],
      ['fintech-dev-network-recovery', 'delete-stack', 'ok'],
      ['fintech-dev-network', 'delete-stack', 'ok'],
    ])
  })

  it('refuses, deleting nothing, while the primary cluster is still a member of the global database the stack keeps', async () => {
    aws.all()
    const primaryArn = `arn:aws:rds:${PRIMARY}:111111111111:cluster:fintech-dev-data-cluster-abc`
    rds.on(DescribeGlobalClustersCommand).callsFake(async (_input, getClient) => {
      if ((await getClient().config.region()) !== PRIMARY) return {GlobalClusters: []}
      return {
        GlobalClusters: [
          {
            GlobalClusterIdentifier: 'fintech-dev-ledger-global',
            GlobalClusterMembers: [
              {DBClusterArn: primaryArn, IsWriter: true},
              {DBClusterArn: `arn:aws:rds:${RECOVERY}:111111111111:cluster:fintech-dev-data-recovery-secondary-x`, IsWriter: false},
            ],
          },
        ],
      }
    })
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', project(), '--yes'])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('destroying would stop half-way: RDS refuses to delete a cluster that is a member of a global database')
    expect(run.stderr).toContain('fintech-dev-data (eu-west-1): Cluster is the primary of Aurora global database fintech-dev-ledger-global, and still a member of it')
    expect(run.stderr).toContain(`Nothing was deleted. Take each primary out of its global database first, then run destroy again:\n  aws rds remove-from-global-cluster --region eu-west-1 --global-cluster-identifier fintech-dev-ledger-global --db-cluster-identifier ${primaryArn}`)
    expect(aws.requests.filter(([, command]) => command === 'DeleteStack')).toEqual([])
    expect(audit.auditLines()).toEqual([])
  })

  it('--dry-run lists both regions and deletes nothing', async () => {
    aws.all()
    detached()
    const run = await runCli(Destroy, ['--stage', 'all', '--env', 'dev', '--config', project(), '--dry-run'])

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/fintech-dev-data-recovery[\s│]+eu-central-1[\s│]+planned/)
    expect(run.stdout).toMatch(/fintech-dev-network[\s│]+eu-west-1[\s│]+planned/)
    expect(aws.requests.filter(([, command]) => command === 'DeleteStack')).toEqual([])
  })

  it('finds a later recovery stack still deployed in the recovery region', async () => {
    aws.deployed(PRIMARY, 'fintech-dev-network', VPC_TEMPLATE)
    aws.deployed(RECOVERY, 'fintech-dev-data-recovery', SECONDARY_TEMPLATE)
    const run = await runCli(Destroy, ['--stage', 'network', '--env', 'dev', '--config', project(), '--yes'])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('later stages are still deployed in dev: fintech-dev-data-recovery')
    expect(aws.requests.filter(([, command]) => command === 'DeleteStack')).toEqual([])
  })
})
