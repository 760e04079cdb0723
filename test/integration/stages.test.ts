/**
 * Stage order against moto_server: a stage refuses to start while an earlier stage is not
 * deployed (exit 2, nothing created), and deploying stage by stage reads the outputs of the
 * stacks deployed by earlier runs.
 */
import {describe, expect, it} from 'vitest'
import {FIXTURE_CONFIG, STACKS, errorText, explain, instances, listStacks, stacksOf, useMoto} from './moto.js'

const ctx = useMoto()
const deploy = (stage: string, ...extra: string[]) =>
  ctx.run(['deploy', '--stage', stage, '--env', 'dev', '--config', FIXTURE_CONFIG, '--yes', ...extra])

describe('deploy of a single stage against moto', {timeout: 90_000}, () => {
  it('refuses --stage servers when no earlier stage is deployed, naming them, and creates nothing', async () => {
    const run = await deploy('servers')
    expect(run.exitCode, explain(run)).toBe(2)
    const message = errorText(run.stderr)
    expect(message).toContain('stage servers needs the earlier stages network, access deployed in dev')
    expect(message).toContain(`${STACKS.network} (stage network): not deployed`)
    expect(message).toContain(`${STACKS.access} (stage access): not deployed`)
    expect(message).toContain('fintech deploy --stage network --env dev')

    expect(await listStacks(ctx.moto)).toEqual([])
    expect(await instances(ctx.moto)).toEqual([])
    expect(run.audit).toEqual([])
  })

  it('exits 2 with --json too, and prints the error as JSON on stdout', async () => {
    const run = await deploy('servers', '--json')
    expect(run.json?.error?.message, explain(run)).toContain('stage servers needs the earlier stages network, access')
    expect(await listStacks(ctx.moto)).toEqual([])
    // DESIGN.md: exit 2 for bad usage/input, whatever the output format.
    expect(run.exitCode, explain(run)).toBe(2)
  })

  it('names only the stage that is missing when the one before it is deployed', async () => {
    const network = await deploy('network')
    expect(network.exitCode, explain(network)).toBe(0)

    const run = await deploy('servers')
    expect(run.exitCode, explain(run)).toBe(2)
    const message = errorText(run.stderr)
    expect(message).toContain(`${STACKS.access} (stage access): not deployed`)
    expect(message).not.toContain(`${STACKS.network} (stage network)`)
    expect((await listStacks(ctx.moto)).map((summary) => [summary.StackName, summary.StackStatus])).toEqual([[STACKS.network, 'CREATE_COMPLETE']])
    expect(run.audit.filter((line) => line.stack === STACKS.servers)).toEqual([])
  })

  it('deploys stage by stage, each run reading the outputs of the stacks deployed before', async () => {
    const network = await deploy('network', '--json')
    expect(network.exitCode, explain(network)).toBe(0)
    const access = await deploy('access', '--json')
    expect(access.exitCode, explain(access)).toBe(0)
    const servers = await deploy('servers', '--json')
    expect(servers.exitCode, explain(servers)).toBe(0)

    // Each run holds only its own stage.
    expect(Object.keys(stacksOf(access.json))).toEqual(['access'])
    const vpcId = stacksOf(network.json).network.outputs.VpcId
    expect(stacksOf(access.json).access).toMatchObject({outcome: 'created', parameters: {VpcId: vpcId}})
    const accessOutputs = stacksOf(access.json).access.outputs
    expect(stacksOf(servers.json).servers).toMatchObject({
      outcome: 'created',
      parameters: {SubnetId: accessOutputs.SubnetId, SecurityGroupId: accessOutputs.SecurityGroupId},
    })
    const running = await instances(ctx.moto, ['running', 'pending'])
    expect(running.map((instance) => [instance.InstanceId, instance.SubnetId, instance.VpcId])).toEqual([
      [stacksOf(servers.json).servers.outputs.InstanceId, accessOutputs.SubnetId, vpcId],
    ])
  })
})
