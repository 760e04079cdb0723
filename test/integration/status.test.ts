/** `fintech status` against moto_server: every stage's stack as CloudFormation has it. */
import {copyFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ACCOUNT, FIXTURE_CONFIG, REGION, STACKS, copyFixture, describeStack, explain, useMoto} from './moto.js'

const ctx = useMoto()
const status = (config = FIXTURE_CONFIG) => ctx.run(['status', '--env', 'dev', '--config', config, '--json'])
const deploy = (stage: string, config = FIXTURE_CONFIG) =>
  ctx.run(['deploy', '--stage', stage, '--env', 'dev', '--config', config, '--yes', '--json'])

/** stack name → status, from a status --json result of one env. */
function statuses(result: any): Record<string, string> {
  expect(result.envs).toHaveLength(1)
  return Object.fromEntries(
    result.envs[0].stages.flatMap((stage: {stacks: Array<{stackName: string; status: string}>}) => stage.stacks.map((stack) => [stack.stackName, stack.status])),
  )
}

describe('status against moto', {timeout: 90_000}, () => {
  it('shows every stack NOT_DEPLOYED before the first deploy', async () => {
    const run = await status()
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.envs).toEqual([
      {
        env: 'dev',
        account: ACCOUNT,
        region: REGION,
        stages: [
          {name: 'network', stacks: [{id: 'network', stackName: STACKS.network, region: REGION, status: 'NOT_DEPLOYED', drift: '-', terminationProtection: false}]},
          {name: 'access', stacks: [{id: 'access', stackName: STACKS.access, region: REGION, status: 'NOT_DEPLOYED', drift: '-', terminationProtection: false}]},
          {name: 'servers', stacks: [{id: 'servers', stackName: STACKS.servers, region: REGION, status: 'NOT_DEPLOYED', drift: '-', terminationProtection: false}]},
        ],
        // An account with no security service turned on, as moto starts.
        security: {
          guardDuty: {state: 'off', detail: `no detector in ${REGION}`},
          securityHub: {state: 'off', detail: `not enabled in ${REGION}`},
          config: {state: 'unknown', detail: 'read through Security Hub control Config.1, and Security Hub is off'},
        },
      },
    ])
    // status only reads.
    expect(run.audit).toEqual([])
  })

  it('shows the stages deployed so far, then all three CREATE_COMPLETE', async () => {
    const network = await deploy('network')
    expect(network.exitCode, explain(network)).toBe(0)
    const partial = await status()
    expect(partial.exitCode, explain(partial)).toBe(0)
    expect(statuses(partial.json)).toEqual({[STACKS.network]: 'CREATE_COMPLETE', [STACKS.access]: 'NOT_DEPLOYED', [STACKS.servers]: 'NOT_DEPLOYED'})

    const all = await deploy('all')
    expect(all.exitCode, explain(all)).toBe(0)
    const run = await status()
    expect(run.exitCode, explain(run)).toBe(0)
    expect(statuses(run.json)).toEqual({[STACKS.network]: 'CREATE_COMPLETE', [STACKS.access]: 'CREATE_COMPLETE', [STACKS.servers]: 'CREATE_COMPLETE'})
    for (const stage of run.json.envs[0].stages) {
      const [shown] = stage.stacks
      const stack = await describeStack(ctx.moto, shown.stackName)
      expect(shown).toMatchObject({id: stage.name, drift: 'NOT_CHECKED', terminationProtection: false})
      expect(shown.lastUpdated).toBe((stack!.LastUpdatedTime ?? stack!.CreationTime)!.toISOString())
    }
  })

  it('shows UPDATE_COMPLETE for the stack an update changed', async () => {
    const config = copyFixture(ctx.dir)
    const first = await deploy('all', config)
    expect(first.exitCode, explain(first)).toBe(0)
    const templates = join(dirname(config), 'templates')
    copyFileSync(join(templates, 'variants/servers-two.yaml'), join(templates, 'servers.yaml'))
    const update = await deploy('all', config)
    expect(update.exitCode, explain(update)).toBe(0)

    const run = await status(config)
    expect(run.exitCode, explain(run)).toBe(0)
    expect(statuses(run.json)).toEqual({[STACKS.network]: 'CREATE_COMPLETE', [STACKS.access]: 'CREATE_COMPLETE', [STACKS.servers]: 'UPDATE_COMPLETE'})
  })
})
