import type {AwsTarget} from '../aws/clients.js'
import type {EnvironmentConfig} from '../core/config/schema.js'
import type {StackApi} from '../core/deploy/api.js'

/**
 * CloudFormation clients for every region an env's stacks live in (StackJob.region, from
 * stackRegionOf): the env's own region through `target` (its --profile and --region), the recovery
 * region with the same credentials there. Made before anything is read, so a bad region fails first.
 */
export async function stackApisByRegion(env: EnvironmentConfig, target: AwsTarget): Promise<(region: string) => StackApi> {
  const {createStackApi} = await import('../aws/cloudformation.js')
  const byRegion = new Map<string, StackApi>([[env.region, await createStackApi(target)]])
  if (env.recovery) byRegion.set(env.recovery.region, await createStackApi({...target, region: env.recovery.region}))
  return (region) => {
    const api = byRegion.get(region)
    if (!api) throw new Error(`no CloudFormation client for ${region}: the env's regions are ${[...byRegion.keys()].join(', ')}`)
    return api
  }
}
