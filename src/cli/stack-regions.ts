import type {AwsTarget} from '../aws/clients.js'
import type {EnvironmentConfig} from '../core/config/schema.js'
import type {StackApi} from '../core/deploy/api.js'

/**
 * Where each of an env's regions is reached: its own region through `target` (its --profile and
 * --region), the recovery region with the same credentials there.
 */
export function regionTargets(env: EnvironmentConfig, target: AwsTarget): Map<string, AwsTarget> {
  const targets = new Map<string, AwsTarget>([[env.region, target]])
  if (env.recovery) targets.set(env.recovery.region, {...target, region: env.recovery.region})
  return targets
}

/**
 * CloudFormation clients for every region an env's stacks live in (StackJob.region, from
 * stackRegionOf), through regionTargets. Made before anything is read, so a bad region fails first.
 */
export async function stackApisByRegion(env: EnvironmentConfig, target: AwsTarget): Promise<(region: string) => StackApi> {
  const {createStackApi} = await import('../aws/cloudformation.js')
  const byRegion = new Map<string, StackApi>()
  for (const [region, regionTarget] of regionTargets(env, target)) byRegion.set(region, await createStackApi(regionTarget))
  return (region) => {
    const api = byRegion.get(region)
    if (!api) throw new Error(`no CloudFormation client for ${region}: the env's regions are ${[...byRegion.keys()].join(', ')}`)
    return api
  }
}
