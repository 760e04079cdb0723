/**
 * `fintech destroy` against moto_server: last stage first, only with --yes when there is no
 * terminal, never around stateful resources without --allow-data-loss.
 */
import {DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand} from '@aws-sdk/client-ec2'
import {readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {FIXTURE_CONFIG, STACKS, copyFixture, describeStack, errorText, explain, instances, listStacks, readAudit, stacksOf, useMoto} from './moto.js'

const ctx = useMoto()
const deployAll = async (config = FIXTURE_CONFIG) => {
  const run = await ctx.run(['deploy', '--stage', 'all', '--env', 'dev', '--config', config, '--yes', '--json'])
  expect(run.exitCode, explain(run)).toBe(0)
  return stacksOf(run.json)
}
const destroy = (stage: string, ...extra: string[]) => ctx.run(['destroy', '--stage', stage, '--env', 'dev', ...extra])

/** Every fixture stack still deployed as it was, and its instance still running. */
async function expectUntouched(instanceId: string) {
  for (const name of Object.values(STACKS)) expect((await describeStack(ctx.moto, name))?.StackStatus, name).toBe('CREATE_COMPLETE')
  expect((await instances(ctx.moto, ['running', 'pending'])).map((instance) => instance.InstanceId)).toEqual([instanceId])
}

describe('destroy against moto', {timeout: 90_000}, () => {
  it('deletes every stage, last first, with its instances, subnets, group and VPC', async () => {
    const deployed = await deployAll()
    const vpcId = deployed.network.outputs.VpcId as string

    // The fixture's instances are marked fintech.stateful: false (with a statelessReason), so no --allow-data-loss is needed.
    const run = await destroy('all', '--config', FIXTURE_CONFIG, '--yes', '--json')
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json).toMatchObject({env: 'dev'})
    expect(run.json.stacks.map((stack: {stackName: string; outcome: string; kept: string[]}) => [stack.stackName, stack.outcome, stack.kept])).toEqual([
      [STACKS.servers, 'deleted', []],
      [STACKS.access, 'deleted', []],
      [STACKS.network, 'deleted', []],
    ])

    for (const name of Object.values(STACKS)) expect(await describeStack(ctx.moto, name), name).toBeUndefined()
    expect(Object.fromEntries((await listStacks(ctx.moto)).map((summary) => [summary.StackName, summary.StackStatus]))).toEqual({
      [STACKS.network]: 'DELETE_COMPLETE',
      [STACKS.access]: 'DELETE_COMPLETE',
      [STACKS.servers]: 'DELETE_COMPLETE',
    })
    const all = await instances(ctx.moto)
    expect(all.map((instance) => [instance.InstanceId, instance.State?.Name])).toEqual([[deployed.servers.outputs.InstanceId, 'terminated']])
    const {Vpcs} = await ctx.moto.ec2.send(new DescribeVpcsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    expect(Vpcs ?? []).toEqual([])
    const {Subnets} = await ctx.moto.ec2.send(new DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [vpcId]}]}))
    expect(Subnets ?? []).toEqual([])
    const {SecurityGroups} = await ctx.moto.ec2.send(new DescribeSecurityGroupsCommand({Filters: [{Name: 'group-id', Values: [deployed.access.outputs.SecurityGroupId]}]}))
    expect(SecurityGroups ?? []).toEqual([])

    // One audit line per deleted stack, deploy order reversed.
    expect(run.audit.filter((line) => line.action === 'delete-stack').map((line) => [line.stack, line.result])).toEqual([
      [STACKS.servers, 'ok'],
      [STACKS.access, 'ok'],
      [STACKS.network, 'ok'],
    ])
  })

  it('skips stacks that are not deployed, and reports dryRun: false in --json', async () => {
    const run = await destroy('all', '--config', FIXTURE_CONFIG, '--yes', '--json')
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.stacks.map((stack: {stackName: string; outcome: string; detail?: string}) => [stack.stackName, stack.outcome, stack.detail])).toEqual([
      [STACKS.servers, 'skipped', 'not deployed'],
      [STACKS.access, 'skipped', 'not deployed'],
      [STACKS.network, 'skipped', 'not deployed'],
    ])
    expect(await listStacks(ctx.moto)).toEqual([])
    expect(run.audit).toEqual([])
    // The documented --json shape has dryRun on every destroy, not only on dry runs.
    expect(run.json).toHaveProperty('dryRun', false)
  })

  it('without --yes and without a terminal, exits 2 and deletes nothing', async () => {
    const deployed = await deployAll()
    const auditBefore = readAudit(ctx.auditLog).length

    const run = await destroy('all', '--config', FIXTURE_CONFIG)
    expect(run.exitCode, explain(run)).toBe(2)
    expect(errorText(run.stderr)).toContain('destroy needs confirmation and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
    await expectUntouched(deployed.servers.outputs.InstanceId)
    expect(run.audit).toHaveLength(auditBefore)
  })

  it('--dry-run lists what it would delete and deletes nothing', async () => {
    const deployed = await deployAll()
    const run = await destroy('all', '--config', FIXTURE_CONFIG, '--dry-run', '--json')
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json).toMatchObject({env: 'dev', dryRun: true})
    expect(run.json.stacks.map((stack: {stackName: string; outcome: string}) => [stack.stackName, stack.outcome])).toEqual([
      [STACKS.servers, 'planned'],
      [STACKS.access, 'planned'],
      [STACKS.network, 'planned'],
    ])
    await expectUntouched(deployed.servers.outputs.InstanceId)
  })

  it('refuses an earlier stage while a later one is still deployed', async () => {
    const deployed = await deployAll()
    const run = await destroy('network', '--config', FIXTURE_CONFIG, '--yes')
    expect(run.exitCode, explain(run)).toBe(2)
    expect(errorText(run.stderr)).toContain(`later stages are still deployed in dev: ${STACKS.access}, ${STACKS.servers}`)
    await expectUntouched(deployed.servers.outputs.InstanceId)
  })

  it('refuses to delete a stateful instance without --allow-data-loss, and deletes it with the flag', async () => {
    // A copy of the fixture whose Server1 is not marked stateless: an EC2 instance counts as stateful.
    const config = copyFixture(ctx.dir)
    const serversTemplate = join(dirname(config), 'templates/servers.yaml')
    const text = readFileSync(serversTemplate, 'utf8')
    const stateful = text.replace(/ {4}Metadata:\n {6}fintech:\n {8}stateful: false\n {8}statelessReason: .*\n/, '')
    expect(stateful).not.toBe(text)
    writeFileSync(serversTemplate, stateful)
    const deployed = await deployAll(config)

    const refused = await destroy('all', '--config', config, '--yes')
    expect(refused.exitCode, explain(refused)).toBe(2)
    const message = errorText(refused.stderr)
    expect(message).toContain('destroying would delete stateful resources that have no Retain or Snapshot DeletionPolicy')
    expect(message).toContain(`${STACKS.servers}: Server1 (AWS::EC2::Instance)`)
    await expectUntouched(deployed.servers.outputs.InstanceId)

    const run = await destroy('all', '--config', config, '--yes', '--allow-data-loss', '--json')
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.stacks.map((stack: {outcome: string}) => stack.outcome)).toEqual(['deleted', 'deleted', 'deleted'])
    expect((await instances(ctx.moto)).map((instance) => instance.State?.Name)).toEqual(['terminated'])
  })
})
