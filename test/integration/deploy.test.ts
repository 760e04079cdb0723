/**
 * `fintech deploy` end to end against moto_server: create, update, no-op and dry run of the
 * three-stage fixture platform (test/fixtures/moto-platform), checked in the emulator.
 */
import {DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand} from '@aws-sdk/client-ec2'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {copyFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {
  FIXTURE_CONFIG,
  REGION,
  STACKS,
  cfnTrace,
  changeSetsOf,
  copyFixture,
  describeStack,
  explain,
  instances,
  listStacks,
  stacksOf,
  tagValue,
  useMoto,
} from './moto.js'

const ctx = useMoto()
const deployAll = (config = FIXTURE_CONFIG, ...extra: string[]) =>
  ctx.run(['deploy', '--stage', 'all', '--env', 'dev', '--config', config, '--yes', '--json', ...extra])

describe('deploy --stage all against moto', {timeout: 90_000}, () => {
  it('creates the three stacks in order, feeding each stage the outputs of the one before', async () => {
    const run = await deployAll()
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json).toMatchObject({mode: 'aws', env: 'dev'})
    expect(run.json.stages.map((stage: {name: string}) => stage.name)).toEqual(['network', 'access', 'servers'])
    const result = stacksOf(run.json)
    for (const id of ['network', 'access', 'servers'] as const) {
      expect(result[id], id).toMatchObject({stackName: STACKS[id], stage: id, outcome: 'created', status: 'CREATE_COMPLETE'})
    }

    // The stacks exist, carry the env's tags and report the same outputs as the CLI.
    const network = await describeStack(ctx.moto, STACKS.network)
    const access = await describeStack(ctx.moto, STACKS.access)
    const servers = await describeStack(ctx.moto, STACKS.servers)
    for (const [id, stack] of Object.entries({network, access, servers})) {
      expect(stack?.StackStatus, id).toBe('CREATE_COMPLETE')
      expect(tagValue(stack?.Tags, 'Environment'), id).toBe('dev')
      expect(tagValue(stack?.Tags, 'fintech:stage'), id).toBe(id)
    }
    const vpcId = network!.Outputs?.find((output) => output.OutputKey === 'VpcId')?.OutputValue
    expect(vpcId).toMatch(/^vpc-/)
    expect(result.network.outputs.VpcId).toBe(vpcId)

    // network: the VPC with the CIDR of params/dev.yaml.
    const {Vpcs} = await ctx.moto.ec2.send(new DescribeVpcsCommand({VpcIds: [vpcId!]}))
    expect(Vpcs?.[0]?.CidrBlock).toBe('10.50.0.0/16')

    // access: VpcId came from the network stack's output, so its subnets and group are in that VPC.
    expect(access!.Parameters?.find((parameter) => parameter.ParameterKey === 'VpcId')?.ParameterValue).toBe(vpcId)
    expect(result.access.parameters.VpcId).toBe(vpcId)
    const {Subnets} = await ctx.moto.ec2.send(new DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId!]}]}))
    expect(Subnets?.map((subnet) => subnet.CidrBlock).sort()).toEqual(['10.50.1.0/24', '10.50.2.0/24'])
    const subnetId = result.access.outputs.SubnetId as string
    const securityGroupId = result.access.outputs.SecurityGroupId as string
    expect(Subnets?.find((subnet) => subnet.SubnetId === subnetId)?.CidrBlock).toBe('10.50.1.0/24')
    const {SecurityGroups} = await ctx.moto.ec2.send(new DescribeSecurityGroupsCommand({GroupIds: [securityGroupId]}))
    expect(SecurityGroups?.[0]?.VpcId).toBe(vpcId)

    // servers: SubnetId and SecurityGroupId came from the access stack's outputs.
    const serverParameters = Object.fromEntries((servers!.Parameters ?? []).map((parameter) => [parameter.ParameterKey, parameter.ParameterValue]))
    expect(serverParameters).toMatchObject({SubnetId: subnetId, SecurityGroupId: securityGroupId})
    expect(result.servers.parameters).toMatchObject({SubnetId: subnetId, SecurityGroupId: securityGroupId})
    const running = await instances(ctx.moto, ['running', 'pending'])
    expect(running).toHaveLength(1)
    expect(running[0]).toMatchObject({InstanceId: result.servers.outputs.InstanceId, SubnetId: subnetId, VpcId: vpcId})
    // Not checked on the instance: moto 5.2.1's AWS::EC2::Instance ignores SecurityGroupIds (it reads
    // only SecurityGroups) and puts the instance in the VPC's default group. The stack parameter above
    // proves the output flowed; the instance's group would only test moto.
    expect(tagValue(running[0]!.Tags, 'Name')).toBe('fintech-dev-fixture-server-1')

    // Audit: a create and an execute line per stack, in deploy order, in the name of moto's caller.
    const sts = new STSClient({endpoint: ctx.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
    const {Arn: callerArn} = await sts.send(new GetCallerIdentityCommand({}))
    sts.destroy()
    expect(callerArn).toMatch(/^arn:aws:(iam|sts)::123456789012:/)
    expect(run.audit.map((line) => [line.stack, line.action, line.result])).toEqual([
      [STACKS.network, 'create-change-set', 'ok'],
      [STACKS.network, 'execute-change-set', 'ok'],
      [STACKS.access, 'create-change-set', 'ok'],
      [STACKS.access, 'execute-change-set', 'ok'],
      [STACKS.servers, 'create-change-set', 'ok'],
      [STACKS.servers, 'execute-change-set', 'ok'],
    ])
    for (const line of run.audit) {
      expect(line).toMatchObject({caller: callerArn, env: 'dev'})
      expect(Number.isNaN(Date.parse(line.time))).toBe(false)
    }
    // Each audited change set is the one moto executed for that stack.
    for (const name of Object.values(STACKS)) {
      const executed = (await changeSetsOf(ctx.moto, name)).filter((summary) => summary.ExecutionStatus === 'EXECUTE_COMPLETE')
      expect(executed.map((summary) => summary.ChangeSetId), name).toEqual([run.audit.find((line) => line.stack === name && line.action === 'create-change-set')?.detail])
      expect(run.audit.find((line) => line.stack === name && line.action === 'execute-change-set')?.detail, name).toBe(
        `${executed[0]!.ChangeSetId} → CREATE_COMPLETE`,
      )
    }
  })

  it('reports dryRun: false in the --json result of a real deploy', async () => {
    const run = await ctx.run(['deploy', '--stage', 'network', '--env', 'dev', '--config', FIXTURE_CONFIG, '--json'])
    expect(run.exitCode, explain(run)).toBe(0)
    expect(stacksOf(run.json).network.outcome).toBe('created')
    // The documented --json shape has dryRun on every deploy, not only on dry runs.
    expect(run.json).toHaveProperty('dryRun', false)
  })

  it('updates only the servers stack when its template gains a second instance', async () => {
    const config = copyFixture(ctx.dir)
    const first = await deployAll(config)
    expect(first.exitCode, explain(first)).toBe(0)
    const before = stacksOf(first.json)
    const firstInstanceId = before.servers.outputs.InstanceId as string
    const untouched = {
      network: await cfnTrace(ctx.moto, STACKS.network),
      access: await cfnTrace(ctx.moto, STACKS.access),
    }
    const lastUpdated = {
      network: (await describeStack(ctx.moto, STACKS.network))?.LastUpdatedTime,
      access: (await describeStack(ctx.moto, STACKS.access))?.LastUpdatedTime,
    }
    const auditBefore = first.audit.length

    const templates = join(dirname(config), 'templates')
    copyFileSync(join(templates, 'variants/servers-two.yaml'), join(templates, 'servers.yaml'))
    const second = await deployAll(config)
    expect(second.exitCode, explain(second)).toBe(0)
    const after = stacksOf(second.json)

    expect(after.network).toMatchObject({outcome: 'unchanged', status: 'CREATE_COMPLETE'})
    expect(after.access).toMatchObject({outcome: 'unchanged', status: 'CREATE_COMPLETE'})
    expect(after.servers).toMatchObject({outcome: 'updated', status: 'UPDATE_COMPLETE'})
    expect(after.servers.changeSet.changes.map((change: {action: string; logicalId: string}) => `${change.action} ${change.logicalId}`)).toEqual([
      'Add Server2',
    ])
    // Unchanged stacks are skipped without a change set: moto saw nothing new for them.
    expect(await cfnTrace(ctx.moto, STACKS.network)).toEqual(untouched.network)
    expect(await cfnTrace(ctx.moto, STACKS.access)).toEqual(untouched.access)
    expect((await describeStack(ctx.moto, STACKS.network))?.LastUpdatedTime).toEqual(lastUpdated.network)
    expect((await describeStack(ctx.moto, STACKS.access))?.LastUpdatedTime).toEqual(lastUpdated.access)
    expect(second.audit.slice(auditBefore).map((line) => [line.stack, line.action, line.result])).toEqual([
      [STACKS.servers, 'create-change-set', 'ok'],
      [STACKS.servers, 'execute-change-set', 'ok'],
    ])

    // EC2: Server1 kept, Server2 added next to it, in the access stage's subnet.
    const servers = await describeStack(ctx.moto, STACKS.servers)
    expect(servers?.StackStatus).toBe('UPDATE_COMPLETE')
    const running = await instances(ctx.moto, ['running', 'pending'])
    expect(running.map((instance) => instance.InstanceId).sort()).toEqual([firstInstanceId, after.servers.outputs.SecondInstanceId].sort())
    expect(after.servers.outputs.InstanceId).toBe(firstInstanceId)
    const server2 = running.find((instance) => instance.InstanceId === after.servers.outputs.SecondInstanceId)
    expect(server2?.SubnetId).toBe(before.access.outputs.SubnetId)
    expect(tagValue(server2?.Tags, 'Name')).toBe('fintech-dev-fixture-server-2')
  })

  it('changes nothing when deployed twice with the same files', async () => {
    const first = await deployAll()
    expect(first.exitCode, explain(first)).toBe(0)
    const instancesBefore = (await instances(ctx.moto)).map((instance) => instance.InstanceId).sort()
    const traces = Object.fromEntries(await Promise.all(Object.values(STACKS).map(async (name) => [name, await cfnTrace(ctx.moto, name)])))
    const auditBefore = first.audit.length

    const second = await deployAll()
    expect(second.exitCode, explain(second)).toBe(0)
    const result = stacksOf(second.json)
    for (const id of ['network', 'access', 'servers'] as const) {
      expect(result[id], id).toMatchObject({outcome: 'unchanged', status: 'CREATE_COMPLETE'})
      expect(result[id].changeSet, id).toBeUndefined()
    }
    // The outputs still flow: an unchanged stack reports what is deployed.
    expect(result.servers.outputs).toEqual(stacksOf(first.json).servers.outputs)
    expect((await instances(ctx.moto)).map((instance) => instance.InstanceId).sort()).toEqual(instancesBefore)
    for (const name of Object.values(STACKS)) expect(await cfnTrace(ctx.moto, name), name).toEqual(traces[name])
    expect(second.audit).toHaveLength(auditBefore)
  })

  it('--dry-run creates the change set, reports it and leaves no stack behind', async () => {
    const run = await ctx.run(['deploy', '--stage', 'network', '--env', 'dev', '--config', FIXTURE_CONFIG, '--dry-run', '--json'])
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json).toMatchObject({mode: 'aws', env: 'dev', dryRun: true})
    const network = stacksOf(run.json).network
    expect(network.outcome).toBe('planned')
    expect(network.changeSet.changes).toEqual([expect.objectContaining({action: 'Add', logicalId: 'Vpc', resourceType: 'AWS::EC2::VPC'})])

    // The REVIEW_IN_PROGRESS stack the CREATE change set made is deleted with it: DescribeStacks
    // no longer finds it. Like CloudFormation, moto keeps the deleted stack in ListStacks as
    // DELETE_COMPLETE, and that summary is the only trace.
    expect(await describeStack(ctx.moto, STACKS.network)).toBeUndefined()
    expect((await listStacks(ctx.moto)).map((summary) => [summary.StackName, summary.StackStatus])).toEqual([[STACKS.network, 'DELETE_COMPLETE']])
    expect(await changeSetsOf(ctx.moto, STACKS.network)).toEqual([])
    const {Vpcs} = await ctx.moto.ec2.send(new DescribeVpcsCommand({Filters: [{Name: 'cidr', Values: ['10.50.0.0/16']}]}))
    expect(Vpcs ?? []).toEqual([])

    expect(run.audit.map((line) => [line.stack, line.action, line.result])).toEqual([
      [STACKS.network, 'create-change-set', 'ok'],
      [STACKS.network, 'delete-change-set', 'ok'],
      [STACKS.network, 'delete-stack', 'ok'],
    ])
    expect(run.audit[0]!.detail).toBe(run.audit[1]!.detail)
  })
})
