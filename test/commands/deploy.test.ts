import {
  ContinueUpdateRollbackCommand,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetStackPolicyCommand,
  GetTemplateCommand,
  SetStackPolicyCommand,
  UpdateTerminationProtectionCommand,
} from '@aws-sdk/client-cloudformation'
import {
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3'
import {createHash} from 'node:crypto'
import {beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {DEV_TAGS, cfn, event, notFound, resetAws, s3, stack, stackId, sts, tagList} from '../helpers/aws-mocks.js'
import {DATA_TEMPLATE, VPC_TEMPLATE, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const NETWORK = 'fintech-dev-network'
const DATA = 'fintech-dev-data'
const networkTags = tagList({...DEV_TAGS, 'fintech:stage': 'network'})
const dataTags = tagList({...DEV_TAGS, 'fintech:stage': 'data'})

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws()
})

/** A change set that settles at once with the given resource changes. */
function changeSetReady(changes: Array<Record<string, unknown>>) {
  cfn.on(CreateChangeSetCommand).callsFake((input) => Promise.resolve({Id: `arn:changeset/${input.StackName}`, StackId: stackId(input.StackName)}))
  cfn.on(DescribeChangeSetCommand).resolves({
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    CreationTime: new Date(),
    Changes: changes.map((ResourceChange) => ({Type: 'Resource', ResourceChange})) as never,
  })
}

const addVpc = {Action: 'Add', LogicalResourceId: 'Vpc', ResourceType: 'AWS::EC2::VPC', Scope: [], Details: []}

describe('fintech deploy', () => {
  it('creates a missing stack through a CREATE change set and records the outputs and an audit line', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK})
      .rejectsOnce(notFound(NETWORK))
      .resolves(stack(NETWORK, 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-123'}]}))
    changeSetReady([addVpc])
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: [event(NETWORK, NETWORK, 'CREATE_COMPLETE'), event(NETWORK, 'Vpc', 'CREATE_COMPLETE')]})

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(0)
    const created = cfn.commandCalls(CreateChangeSetCommand)
    expect(created).toHaveLength(1)
    expect(created[0]!.args[0].input).toMatchObject({
      StackName: NETWORK,
      ChangeSetType: 'CREATE',
      TemplateBody: VPC_TEMPLATE,
      Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}],
      Tags: networkTags,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    })
    expect(cfn.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: `arn:changeset/${NETWORK}`, ClientRequestToken: expect.stringMatching(/^fintech-/)})
    expect(run.json.stages[0].stacks[0]).toMatchObject({stackName: NETWORK, outcome: 'created', status: 'CREATE_COMPLETE', outputs: {VpcId: 'vpc-123'}})
    expect(audit.auditLines().map((line) => [line.action, line.result, line.caller])).toEqual([
      ['create-change-set', 'ok', 'arn:aws:sts::111111111111:assumed-role/platform/alice'],
      ['execute-change-set', 'ok', 'arn:aws:sts::111111111111:assumed-role/platform/alice'],
    ])
  })

  it('updates a stack whose template changed, passing the earlier stage\'s output as a parameter', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-123'}]}))
    cfn.on(DescribeStacksCommand, {StackName: DATA})
      .resolvesOnce(stack(DATA, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'VpcId', ParameterValue: 'vpc-123'}], Tags: dataTags}))
      .resolves(stack(DATA, 'UPDATE_COMPLETE'))
    cfn.on(GetTemplateCommand, {StackName: DATA}).resolves({TemplateBody: DATA_TEMPLATE.replace('dynamodb:GetItem', 'dynamodb:Query')})
    changeSetReady([{Action: 'Modify', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role', Replacement: 'False', Scope: ['Properties'], Details: []}])
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'dev', '--config', config, '--yes'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input).toMatchObject({
      StackName: DATA,
      ChangeSetType: 'UPDATE',
      Parameters: [{ParameterKey: 'VpcId', ParameterValue: 'vpc-123'}],
    })
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(1)
    expect(run.stdout).toMatch(/fintech-dev-data\s*│\s*updated/)
    // GetItem → Query is a new grant: the change needed (and got, through --yes) approval.
    expect(run.stderr).toContain('AppRole')
  })

  it('skips a stack whose template, parameters and tags are unchanged, with two reads and no change set', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(
      stack(NETWORK, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}], Tags: networkTags}),
    )
    cfn.on(GetTemplateCommand, {StackName: NETWORK}).resolves({TemplateBody: VPC_TEMPLATE})

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.stages[0].stacks[0].outcome).toBe('unchanged')
    expect(cfn.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeStacksCommand', 'GetTemplateCommand'])
    expect(audit.auditLines()).toEqual([])
  })

  it('deletes a change set that has no changes and reports "no-changes" without executing', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}], Tags: networkTags}))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: VPC_TEMPLATE})
    cfn.on(CreateChangeSetCommand).resolves({Id: 'arn:changeset/empty'})
    cfn.on(DescribeChangeSetCommand).resolves({Status: 'FAILED', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set."})

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--force', '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.stages[0].stacks[0].outcome).toBe('no-changes')
    expect(cfn.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: 'arn:changeset/empty'})
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
  })

  it('prints the root cause of a failed create, not the cancellations, and exits 1', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejectsOnce(notFound(NETWORK)).resolves(stack(NETWORK, 'ROLLBACK_COMPLETE'))
    changeSetReady([addVpc])
    const base = Date.now() + 60_000
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event(NETWORK, NETWORK, 'ROLLBACK_COMPLETE', {Timestamp: new Date(base + 4000)}),
        event(NETWORK, 'Subnet', 'CREATE_FAILED', {ResourceStatusReason: 'Resource creation cancelled', Timestamp: new Date(base + 3000)}),
        event(NETWORK, 'Vpc', 'CREATE_FAILED', {ResourceStatusReason: 'The CIDR 10.1.0.0/16 conflicts with another', Timestamp: new Date(base + 2000)}),
        event(NETWORK, 'Vpc', 'CREATE_IN_PROGRESS', {Timestamp: new Date(base + 1000)}),
      ],
    })

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('Root cause in fintech-dev-network: Vpc (AWS::EC2::VPC) CREATE_FAILED: The CIDR 10.1.0.0/16 conflicts with another')
    expect(run.stdout).not.toMatch(/Root cause.*cancelled/)
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'execute-change-set', result: 'failed'})
  })

  for (const status of ['ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'CREATE_FAILED']) {
    it(`deletes and recreates a ${status} stack once approved, and refuses without approval`, async () => {
      const config = makeProject()
      cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, status))

      const refused = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config])
      expect(refused.exitCode).toBe(2)
      expect(refused.stdout).toContain('there is no terminal to ask')
      expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
      expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0)

      cfn.reset()
      cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolvesOnce(stack(NETWORK, status)).resolves(stack(NETWORK, 'CREATE_COMPLETE'))
      cfn.on(DescribeStacksCommand, {StackName: stackId(NETWORK)}).resolves(stack(NETWORK, 'DELETE_COMPLETE'))
      cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
      changeSetReady([addVpc])

      const approved = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--yes'])
      expect(approved.exitCode).toBe(0)
      expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({StackName: stackId(NETWORK), ClientRequestToken: expect.stringMatching(/^fintech-/)})
      expect(cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.ChangeSetType).toBe('CREATE')
      expect(audit.auditLines().map((line) => line.action)).toEqual(['delete-stack', 'create-change-set', 'execute-change-set'])
    })
  }

  it('continues a failed rollback (UPDATE_ROLLBACK_FAILED) instead of recreating the stack', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK})
      .resolvesOnce(stack(NETWORK, 'UPDATE_ROLLBACK_FAILED'))
      .resolvesOnce(stack(NETWORK, 'UPDATE_ROLLBACK_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.9.0.0/16'}], Tags: networkTags}))
      .resolves(stack(NETWORK, 'UPDATE_COMPLETE'))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: VPC_TEMPLATE})
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    changeSetReady([{...addVpc, Action: 'Modify', Replacement: 'False'}])

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(ContinueUpdateRollbackCommand)[0]!.args[0].input).toEqual({StackName: NETWORK, ClientRequestToken: expect.stringMatching(/^fintech-/)})
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0)
    expect(cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.ChangeSetType).toBe('UPDATE')
    expect(audit.auditLines().map((line) => line.action)).toEqual(['continue-update-rollback', 'create-change-set', 'execute-change-set'])
  })

  it('waits for an operation in progress, then carries on', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}], Tags: networkTags}))
    cfn.on(DescribeStacksCommand, {StackName: stackId(NETWORK)})
      .resolvesOnce(stack(NETWORK, 'UPDATE_IN_PROGRESS'))
      .resolves(stack(NETWORK, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}], Tags: networkTags}))
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolvesOnce(stack(NETWORK, 'UPDATE_IN_PROGRESS'))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: [event(NETWORK, 'Vpc', 'UPDATE_COMPLETE')]})
    cfn.on(GetTemplateCommand).resolves({TemplateBody: VPC_TEMPLATE})

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.stages[0].stacks[0].outcome).toBe('unchanged')
    expect(cfn.commandCalls(DescribeStacksCommand, {StackName: stackId(NETWORK)}).length).toBeGreaterThanOrEqual(2)
    expect(run.stderr).toContain('UPDATE_IN_PROGRESS')
  })

  it('refuses with both account ids, exit 2 and no CloudFormation call when the credentials are for another account', async () => {
    resetAws('999999999999')
    const config = makeProject()

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('account 999999999999')
    expect(run.stderr).toContain('dev is account 111111111111')
    expect(cfn.calls()).toHaveLength(0)
  })

  it('blocks a stateful replacement unless --allow-replacement, deleting the change set', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-1'}]}))
    cfn.on(DescribeStacksCommand, {StackName: DATA}).resolves(stack(DATA, 'UPDATE_COMPLETE', {Tags: dataTags}))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: DATA_TEMPLATE.replace('TableName: !Ref TableName', 'TableName: old')})
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    changeSetReady([
      {
        Action: 'Modify',
        LogicalResourceId: 'Sessions',
        ResourceType: 'AWS::DynamoDB::Table',
        Replacement: 'True',
        Scope: ['Properties'],
        Details: [{Target: {Attribute: 'Properties', Name: 'TableName', RequiresRecreation: 'Always'}, Evaluation: 'Static', ChangeSource: 'DirectModification'}],
      },
    ])

    const blocked = await runCli(Deploy, ['--stage', 'data', '--env', 'dev', '--config', config, '--yes'])
    expect(blocked.exitCode).toBe(2)
    expect(blocked.stdout).toContain('--allow-replacement')
    expect(blocked.stderr).toContain('TableName')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1)

    const allowed = await runCli(Deploy, ['--stage', 'data', '--env', 'dev', '--config', config, '--yes', '--allow-replacement'])
    expect(allowed.exitCode).toBe(0)
    expect(allowed.stderr).toContain('Sessions (AWS::DynamoDB::Table) will be replaced or removed: --allow-replacement was given')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(1)
  })

  it('uploads a template over 51,200 bytes to the artifact bucket, creating it encrypted and private', async () => {
    const large = VPC_TEMPLATE.replace('Description: network', `Description: network\nMetadata:\n  Padding: "${'x'.repeat(52_000)}"`)
    const config = makeProject({'templates/vpc.yaml': large})
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejectsOnce(notFound(NETWORK)).resolves(stack(NETWORK, 'CREATE_COMPLETE'))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    changeSetReady([addVpc])
    const missing = Object.assign(new Error('NotFound'), {name: 'NotFound', $metadata: {httpStatusCode: 404}})
    s3.on(HeadBucketCommand).rejects(missing)
    s3.on(HeadObjectCommand).rejects(missing)

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(0)
    const bucket = 'fintech-artifacts-111111111111-eu-west-1'
    const key = `templates/${NETWORK}/${createHash('sha256').update(large).digest('hex')}.template`
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({Bucket: bucket, CreateBucketConfiguration: {LocationConstraint: 'eu-west-1'}})
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0]!.args[0].input.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('aws:kms')
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0]!.args[0].input.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
    })
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({Bucket: bucket, Key: key, Body: large, ExpectedBucketOwner: '111111111111'})
    expect(s3.commandCalls(HeadBucketCommand)[0]!.args[0].input).toEqual({Bucket: bucket, ExpectedBucketOwner: '111111111111'})
    expect(audit.auditLines().map((line) => line.action)).toEqual(['create-artifact-bucket', 'upload-template', 'create-change-set', 'execute-change-set'])
    const input = cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input
    expect(input.TemplateURL).toBe(`https://${bucket}.s3.eu-west-1.amazonaws.com/${key}`)
    expect(input.TemplateBody).toBeUndefined()
  })

  it('needs approval for prod: refused without a terminal or --yes, protected after an approved deploy', async () => {
    const config = makeProject()
    const PROD = 'fintech-prod-data'
    resetAws('333333333333')
    cfn.on(DescribeStacksCommand, {StackName: 'fintech-prod-network'}).resolves(stack('fintech-prod-network', 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-9'}]}))
    cfn.on(DescribeStacksCommand, {StackName: PROD}).resolves(stack(PROD, 'UPDATE_COMPLETE', {EnableTerminationProtection: false}))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: DATA_TEMPLATE})
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    cfn.on(GetStackPolicyCommand).resolves({})
    changeSetReady([{Action: 'Modify', LogicalResourceId: 'Sessions', ResourceType: 'AWS::DynamoDB::Table', Replacement: 'False', Scope: ['Tags'], Details: []}])

    const refused = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', config])
    expect(refused.exitCode).toBe(2)
    expect(refused.stdout).toContain('prod is a protected environment')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1)

    const approved = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', config, '--yes'])
    expect(approved.exitCode).toBe(0)
    expect(cfn.commandCalls(UpdateTerminationProtectionCommand)[0]!.args[0].input).toEqual({StackName: PROD, EnableTerminationProtection: true})
    const policy = JSON.parse(cfn.commandCalls(SetStackPolicyCommand)[0]!.args[0].input.StackPolicyBody!)
    expect(policy.Statement[1]).toEqual({Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'], Principal: '*', Resource: ['LogicalResourceId/Sessions']})
  })

  it('refuses a stage whose earlier stage is not deployed, before any change', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejects(notFound(NETWORK))

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('stage data needs the earlier stages network deployed in dev')
    expect(run.stderr).toContain('fintech-dev-network (stage network): not deployed')
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0)
  })

  it('--dry-run creates, shows and deletes the change set (and the empty stack of a CREATE) without executing', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejects(notFound(NETWORK))
    changeSetReady([addVpc])

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--dry-run'])

    expect(run.exitCode).toBe(0)
    expect(run.stderr).toMatch(/Add\s*│\s*Vpc/)
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1)
    expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({StackName: NETWORK, ClientRequestToken: expect.stringMatching(/^fintech-/)})
  })

  it('deploys all stages in order, feeding the network output into the data stack', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejectsOnce(notFound(NETWORK)).resolves(stack(NETWORK, 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-77'}]}))
    cfn.on(DescribeStacksCommand, {StackName: DATA}).rejectsOnce(notFound(DATA)).resolves(stack(DATA, 'CREATE_COMPLETE'))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    changeSetReady([addVpc])

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config, '--yes', '--json'])

    expect(run.exitCode).toBe(0)
    const stacks = cfn.commandCalls(CreateChangeSetCommand).map((call) => [call.args[0].input.StackName, call.args[0].input.Parameters])
    expect(stacks).toEqual([
      [NETWORK, [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}]],
      [DATA, [{ParameterKey: 'VpcId', ParameterValue: 'vpc-77'}]],
    ])
    expect(run.json.stages.map((stage: {name: string}) => stage.name)).toEqual(['network', 'data'])
  })

  it('stops at the first failed stage and skips the later ones', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejectsOnce(notFound(NETWORK)).resolves(stack(NETWORK, 'ROLLBACK_COMPLETE'))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    changeSetReady([addVpc])

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(1)
    expect(run.json.stages[1].stacks[0]).toMatchObject({stackName: DATA, outcome: 'skipped'})
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(1)
  })

  it('stops a change that widens IAM access when nobody can approve it, deleting the change set', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-1'}]}))
    cfn.on(DescribeStacksCommand, {StackName: DATA}).resolves(stack(DATA, 'UPDATE_COMPLETE', {Tags: dataTags}))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: DATA_TEMPLATE.replace('dynamodb:GetItem', 'dynamodb:Query')})
    changeSetReady([{Action: 'Modify', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role', Replacement: 'False', Scope: ['Properties'], Details: []}])

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(2)
    const result = run.json.stages[0].stacks[0]
    expect(result.outcome).toBe('blocked')
    expect(result.detail).toContain('AppRole widens permissions (1 new grant)')
    expect(result.changeSet.broadening[0].broadening).toEqual(['inline policy allows {"Action":"dynamodb:GetItem","Effect":"Allow","Resource":{"Fn::GetAtt":["Sessions","Arn"]}}'])
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1)
  })

  it('falls back to the offline plan when a dry run finds no credentials', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}))

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', makeProject(), '--dry-run'])

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('No AWS credentials found: showing the offline plan.')
    expect(run.stdout).toContain('fintech-dev-data')
    expect(cfn.calls()).toHaveLength(0)
  })

  it('does not fall back when a real deploy finds no credentials', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}))
    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', makeProject()])
    expect(run.exitCode).toBe(1)
    expect(run.stderr).toContain('no AWS credentials found for dev (account 111111111111)')
    expect(cfn.calls()).toHaveLength(0)
  })

  it('a dry run of all stages feeds the deployed outputs of a changed stack to the next stage', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(
      stack(NETWORK, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.9.0.0/16'}], Tags: networkTags, Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-live'}]}),
    )
    cfn.on(DescribeStacksCommand, {StackName: DATA}).rejects(notFound(DATA))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: VPC_TEMPLATE})
    changeSetReady([{...addVpc, Action: 'Modify', Replacement: 'True'}])

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config, '--dry-run', '--json'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(CreateChangeSetCommand).map((call) => call.args[0].input.Parameters)).toEqual([
      [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}],
      [{ParameterKey: 'VpcId', ParameterValue: 'vpc-live'}],
    ])
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
  })

  it('puts the protective stack policy back in prod even when an allowed replacement fails', async () => {
    audit = resetAws('333333333333')
    const config = makeProject()
    const PROD = 'fintech-prod-data'
    cfn.on(DescribeStacksCommand, {StackName: 'fintech-prod-network'}).resolves(stack('fintech-prod-network', 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-9'}]}))
    cfn.on(DescribeStacksCommand, {StackName: PROD})
      .resolvesOnce(stack(PROD, 'UPDATE_COMPLETE', {EnableTerminationProtection: true}))
      .resolves(stack(PROD, 'UPDATE_ROLLBACK_COMPLETE', {EnableTerminationProtection: true}))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: DATA_TEMPLATE.replace('TableName: !Ref TableName', 'TableName: old')})
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    cfn.on(GetStackPolicyCommand).resolves({StackPolicyBody: '{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}'})
    changeSetReady([{Action: 'Modify', LogicalResourceId: 'Sessions', ResourceType: 'AWS::DynamoDB::Table', Replacement: 'True', Scope: ['Properties'], Details: []}])

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'prod', '--config', config, '--yes', '--allow-replacement'])
    expect(run.exitCode).toBe(1)
    const policies = cfn.commandCalls(SetStackPolicyCommand).map((call) => JSON.parse(call.args[0].input.StackPolicyBody!))
    expect(policies).toHaveLength(2)
    expect(policies[0].Statement).toEqual([{Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*'}])
    expect(policies[1].Statement[1]).toEqual({Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'], Principal: '*', Resource: ['LogicalResourceId/Sessions']})
    expect(audit.auditLines().filter((line) => line.action === 'set-stack-policy').map((line) => line.detail)).toEqual([
      'opened for an approved replacement',
      'deny Update:Replace and Update:Delete on stateful resources',
    ])
  })

  it('exits 3 when a stage changed before a later one was blocked', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejectsOnce(notFound(NETWORK)).resolves(stack(NETWORK, 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-1'}]}))
    cfn.on(DescribeStacksCommand, {StackName: DATA}).rejects(notFound(DATA))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    // The data stack's new role is a new grant: without --yes and a terminal, nobody approves it.
    changeSetReady([addVpc, {Action: 'Add', LogicalResourceId: 'AppRole', ResourceType: 'AWS::IAM::Role', Scope: [], Details: []}])

    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--config', config, '--json'])
    expect(run.json.stages.map((stage: {stacks: Array<{outcome: string}>}) => stage.stacks[0]!.outcome)).toEqual(['created', 'blocked'])
    expect(run.exitCode).toBe(3)
  })

  it('removes the change set and the empty stack when something fails before execution', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejects(notFound(NETWORK))
    cfn.on(CreateChangeSetCommand).resolves({Id: 'arn:changeset/broken'})
    cfn.on(DescribeChangeSetCommand).rejects(Object.assign(new Error('Rate exceeded'), {name: 'Throttling'}))

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(1)
    expect(run.json.stages[0].stacks[0]).toMatchObject({outcome: 'failed', detail: 'Rate exceeded'})
    expect(cfn.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: 'arn:changeset/broken'})
    expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({StackName: NETWORK, ClientRequestToken: expect.stringMatching(/^fintech-/)})
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
  })

  it('a dry run with a large template and no artifact bucket creates nothing and makes no change set', async () => {
    const large = VPC_TEMPLATE.replace('Description: network', `Description: network\nMetadata:\n  Padding: "${'x'.repeat(52_000)}"`)
    const config = makeProject({'templates/vpc.yaml': large})
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).rejects(notFound(NETWORK))
    s3.on(HeadBucketCommand).rejects(Object.assign(new Error('NotFound'), {name: 'NotFound', $metadata: {httpStatusCode: 404}}))

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--dry-run', '--json'])

    expect(run.exitCode).toBe(0)
    expect(run.json.stages[0].stacks[0].outcome).toBe('planned')
    expect(s3.calls().map((call) => call.args[0].constructor.name)).toEqual(['HeadBucketCommand'])
    expect(cfn.calls().map((call) => call.args[0].constructor.name)).toEqual(['DescribeStacksCommand'])
  })

  it('a dry run of an update makes only reads and the change set round trip', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'UPDATE_COMPLETE', {Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.9.0.0/16'}], Tags: networkTags}))
    cfn.on(GetTemplateCommand).resolves({TemplateBody: VPC_TEMPLATE})
    changeSetReady([{...addVpc, Action: 'Modify', Replacement: 'True'}])

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--dry-run'])

    expect(run.exitCode).toBe(0)
    expect(cfn.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'DescribeStacksCommand',
      'GetTemplateCommand',
      'CreateChangeSetCommand',
      'DescribeChangeSetCommand',
      'DeleteChangeSetCommand',
    ])
    expect(s3.calls()).toHaveLength(0)
  })

  it('never shows a NoEcho value, and never skips a stack whose values resolve at deploy time', async () => {
    const template = VPC_TEMPLATE.replace('  Cidr:\n    Type: String\n', '  Cidr:\n    Type: String\n    NoEcho: true\n  Ami:\n    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>\n    Default: /aws/ami/latest\n')
    const config = makeProject({'templates/vpc.yaml': template})
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(
      stack(NETWORK, 'UPDATE_COMPLETE', {
        Parameters: [{ParameterKey: 'Cidr', ParameterValue: '10.1.0.0/16'}, {ParameterKey: 'Ami', ParameterValue: '/aws/ami/latest'}],
        Tags: networkTags,
      }),
    )
    cfn.on(GetTemplateCommand).resolves({TemplateBody: template})
    cfn.on(CreateChangeSetCommand).resolves({Id: 'arn:changeset/x'})
    cfn.on(DescribeChangeSetCommand).resolves({Status: 'FAILED', StatusReason: "The submitted information didn't contain changes."})

    const run = await runCli(Deploy, ['--stage', 'network', '--env', 'dev', '--config', config, '--json'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(1)
    expect(run.json.stages[0].stacks[0]).toMatchObject({outcome: 'no-changes', parameters: {Cidr: '****'}})
    expect(run.stdout).not.toContain('10.1.0.0/16')
  })

  it('waits for an earlier stage\'s stack that is still updating instead of refusing', async () => {
    const config = makeProject()
    cfn.on(DescribeStacksCommand, {StackName: NETWORK}).resolves(stack(NETWORK, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'))
    cfn.on(DescribeStacksCommand, {StackName: stackId(NETWORK)}).resolves(stack(NETWORK, 'UPDATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: 'vpc-after'}]}))
    cfn.on(DescribeStacksCommand, {StackName: DATA}).rejects(notFound(DATA))
    cfn.on(DescribeStackEventsCommand).resolves({StackEvents: []})
    changeSetReady([addVpc])

    const run = await runCli(Deploy, ['--stage', 'data', '--env', 'dev', '--config', config, '--dry-run'])

    expect(run.exitCode).toBe(0)
    expect(cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.Parameters).toEqual([{ParameterKey: 'VpcId', ParameterValue: 'vpc-after'}])
  })
})
