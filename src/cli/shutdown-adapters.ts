import type {AwsTarget} from '../aws/clients.js'
import type {RegionalApis, ShutdownApis} from '../core/shutdown/api.js'

export interface ShutdownApiOptions {
  stateBucket: string
  /** The env's account: the state bucket must belong to it. */
  ownerAccount: string
  redisMasterName: string
  redisAuthSecretArn?: string
  /** The schedule stack's probe document (FINTECH_REDIS_PROBE_DOCUMENT in its task), instead of AWS-RunShellScript. */
  redisProbeDocument?: string
}

/**
 * Every AWS service a shutdown run talks to, each SDK loaded in parallel: the services of
 * `target`'s region, of `recovery` (the env's recovery region, same credentials) when given,
 * and the state bucket, which lives in `target`'s region.
 */
export async function createShutdownApis(target: AwsTarget, options: ShutdownApiOptions & {recovery?: AwsTarget}): Promise<ShutdownApis> {
  const [regional, recovery, store] = await Promise.all([
    createRegionalApis(target, options),
    options.recovery ? createRegionalApis(options.recovery, options) : undefined,
    import('../aws/s3.js').then((module) => module.createStateStore(target, options.stateBucket, options.ownerAccount)),
  ])
  return {...regional, region: target.region, ...(recovery && options.recovery ? {recovery: {region: options.recovery.region, apis: recovery}} : {}), store}
}

async function createRegionalApis(target: AwsTarget, options: ShutdownApiOptions): Promise<RegionalApis> {
  const [ec2, autoScaling, ecs, scaling, rds, redis] = await Promise.all([
    import('../aws/ec2.js').then((module) => module.createEc2Api(target)),
    import('../aws/autoscaling.js').then((module) => module.createAutoScalingApi(target)),
    import('../aws/ecs.js').then((module) => module.createEcsApi(target)),
    import('../aws/application-autoscaling.js').then((module) => module.createScalingApi(target)),
    import('../aws/rds.js').then((module) => module.createRdsApi(target)),
    import('../aws/ssm.js').then((module) =>
      module.createRedisProbe(target, {masterName: options.redisMasterName, authSecretArn: options.redisAuthSecretArn, documentName: options.redisProbeDocument}),
    ),
  ])
  return {ec2, autoScaling, ecs, scaling, rds, redis}
}
