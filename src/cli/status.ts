import Table from 'cli-table3'
import type {LoadedConfig} from '../core/config/load.js'
import {resolveEnv, type TargetFlags} from '../core/config/env.js'
import {systemClock} from '../core/clock.js'
import {ExitCode, InputError} from '../core/errors.js'
import {assertAccount} from '../core/guard/account.js'
import {planEnvironment} from '../core/stages/plan.js'
import {readStatus, type StackStatus} from '../core/status/read-status.js'
import {readSecurity, type SecurityStatus} from '../core/status/security.js'
import {securityLines} from '../ui/security.js'
import type {Outcome} from './command-io.js'
import {orgStatusFlow, type OrgStatusResult} from './org.js'

export interface EnvironmentStatus {
  env: string
  account: string
  region: string
  error?: string
  stages: Array<{name: string; stacks: StackStatus[]}>
  security?: SecurityStatus
}

export type StatusResult = {envs: EnvironmentStatus[]} | OrgStatusResult

/** `fintech status`: every stage of one env or of all, or the StackSets with --org. */
export async function statusCommand(loaded: LoadedConfig, flags: TargetFlags & {env?: string; drift: boolean; org: boolean}): Promise<Outcome<StatusResult>> {
  if (flags.org) {
    if (flags.drift) throw new InputError('--org --drift: status reads the last drift check of each stack instance; it does not start one', 'aws cloudformation detect-stack-set-drift --stack-set-name <name> starts one')
    return orgStatusFlow(loaded, {env: flags.env, flags})
  }
  const envNames = flags.env ? [flags.env] : Object.keys(loaded.config.environments)
  const resolved = envNames.map((name) => resolveEnv(loaded, name, flags))
  const [{stackApisByRegion}, {createIdentityApi}, {createSecurityHubApi}, {createGuardDutyApi}] = await Promise.all([
    import('./stack-regions.js'),
    import('../aws/sts.js'),
    import('../aws/securityhub.js'),
    import('../aws/guardduty.js'),
  ])

  const envs = await Promise.all(
    resolved.map(async (env): Promise<EnvironmentStatus> => {
      const {name: envName, target} = env
      const plan = planEnvironment(loaded, env, loaded.config.stages)
      const base = {env: envName, account: plan.env.account, region: target.region}
      try {
        // Reading the wrong account would report every stack as missing: check it as a deploy does.
        await assertAccount(await createIdentityApi(target), envName, plan.env.account)
        const stacksIn = await stackApisByRegion(plan.env, target)
        const stages = await readStatus(plan.stages, {stacksIn, clock: systemClock, polling: loaded.config.polling, detectDrift: flags.drift})
        // After the stacks, not beside them: an env whose stacks cannot be read fails without leaving these calls running.
        const [securityHub, guardDuty] = await Promise.all([createSecurityHubApi(target), createGuardDutyApi(target)])
        return {...base, stages, security: await readSecurity({securityHub, guardDuty}, target.region)}
      } catch (error) {
        if (flags.env) throw error
        return {...base, error: (error as Error).message, stages: []}
      }
    }),
  )

  return {text: renderStatus(envs), exitCode: envs.some((env) => env.error) ? ExitCode.failed : ExitCode.ok, result: {envs}}
}
function renderStatus(envs: EnvironmentStatus[]): string {
  return envs
    .map((env) => {
      const heading = `${env.env} (account ${env.account}, ${env.region})`
      if (env.error) return `${heading}\n  cannot read: ${env.error}`
      const table = new Table({head: ['Stage', 'Stack', 'Region', 'Status', 'Last update', 'Drift', 'Protected'], style: {head: [], border: [], compact: true}})
      const drifted: string[] = []
      for (const stage of env.stages) {
        for (const stack of stage.stacks) {
          table.push([stage.name, stack.stackName, stack.region, stack.status, stack.lastUpdated ?? '-', stack.drift, stack.terminationProtection ? 'yes' : ''])
          for (const resource of stack.driftedResources ?? []) {
            drifted.push(`  ${stack.stackName} ${resource.logicalId} (${resource.resourceType}) ${resource.driftStatus}`)
            drifted.push(...resource.differences.map((difference) => `      ${difference}`))
          }
        }
      }
      return [heading, table.toString(), ...(drifted.length ? ['Drifted resources:', ...drifted] : []), ...(env.security ? securityLines(env.security) : [])].join('\n')
    })
    .join('\n\n')
}
