import type {DrApi} from './api.js'
import {
  DR_THRESHOLDS,
  globalRoles,
  judgeAurora,
  judgeBackup,
  judgeBucket,
  judgeDynamoDb,
  judgeHealth,
  judgeServing,
  recoveryRule,
  servingRegion,
  unreadableCheck,
  type AuroraCheck,
  type BackupCheck,
  type BucketCheck,
  type CheckState,
  type DynamoDbCheck,
  type HealthCheck,
  type ServingCheck,
} from './checks.js'
import {backupVaultArn, globalClusterId, recoveryBucketName, recoveryVaultName, vaultName} from './names.js'
import type {DrTarget} from './target.js'

export interface DrStatus {
  env: string
  primaryRegion: string
  recoveryRegion: string
  rpoSeconds: number
  rtoMinutes: number
  checkedAt: string
  aurora: AuroraCheck
  dynamodb: DynamoDbCheck
  buckets: BucketCheck[]
  backup: BackupCheck
  health: HealthCheck[]
  serving: ServingCheck
  /** Worst of every check: out of bounds beats unreadable, which beats ok. */
  state: CheckState
}

const messageOf = (error: unknown) => (error as Error).message ?? String(error)

/** A read that failed becomes an unreadable check, so one source down still shows the others. */
async function guarded<T>(read: () => Promise<T>, onError: (message: string) => T): Promise<T> {
  try {
    return await read()
  } catch (error) {
    return onError(messageOf(error))
  }
}

class MissingOutput extends Error {}

function output(outputs: Record<string, string> | undefined, stackName: string, key: string): string {
  if (!outputs) throw new MissingOutput(`the stack ${stackName} does not exist`)
  const value = outputs[key]
  if (!value) throw new MissingOutput(`the stack ${stackName} has no output ${key}`)
  return value
}

/** Reads every DR source of the env in both regions and judges each against its threshold. */
export async function readDrStatus(api: DrApi, target: DrTarget, now: Date): Promise<DrStatus> {
  const primary = api.region(target.primaryRegion)
  const window = {start: new Date(now.getTime() - DR_THRESHOLDS.lagWindowMinutes * 60_000), end: now}
  const stackErrors = new Map<string, string>()
  const outputsOf = async (name: string) =>
    primary.stackOutputs(name).catch((error: unknown) => {
      stackErrors.set(name, messageOf(error))
      return undefined
    })
  const [foundation, data, compute] = await Promise.all([outputsOf(target.stacks.foundation), outputsOf(target.stacks.data), outputsOf(target.stacks.compute)])
  const read = (outputs: Record<string, string> | undefined, stackName: string, key: string) => {
    const failed = stackErrors.get(stackName)
    if (failed) throw new MissingOutput(failed)
    return output(outputs, stackName, key)
  }

  const globalId = globalClusterId(target.env)
  const aurora = guarded<AuroraCheck>(async () => {
    const cluster = await primary.describeGlobalCluster(globalId)
    const secondary = cluster ? globalRoles(cluster).secondary : undefined
    if (!cluster || !secondary) return judgeAurora({globalClusterId: globalId, cluster, rpoSeconds: target.rpoSeconds})
    const metrics = api.region(secondary.region)
    const lag = (metricName: string) => metrics.maximum({namespace: 'AWS/RDS', metricName, dimensions: {DBClusterIdentifier: secondary.clusterId}}, window)
    const [replicationLagMs, rpoLagMs] = await Promise.all([lag('AuroraGlobalDBReplicationLag'), lag('AuroraGlobalDBRPOLag')])
    return judgeAurora({globalClusterId: globalId, cluster, lag: {replicationLagMs, rpoLagMs}, rpoSeconds: target.rpoSeconds})
  }, (message) => unreadableCheck({globalClusterId: globalId, rpoSeconds: target.rpoSeconds}, message))

  const dynamodb = guarded<DynamoDbCheck>(async () => {
    const table = read(data, target.stacks.data, 'SessionsTableName')
    return guarded<DynamoDbCheck>(async () => judgeDynamoDb(table, await primary.tableReplicas(table), target.recoveryRegion), (message) => unreadableCheck({table, recoveryRegion: target.recoveryRegion, replicas: []}, message))
  }, (message) => unreadableCheck({table: '', recoveryRegion: target.recoveryRegion, replicas: []}, message))

  const bucket = (outputs: Record<string, string> | undefined, stackName: string, key: string) => {
    const source = `${stackName}.${key}`
    return guarded<BucketCheck>(async () => {
      const name = read(outputs, stackName, key)
      return guarded<BucketCheck>(async () => {
        const rules = await primary.replicationRules(name)
        const rule = recoveryRule(name, rules)
        if (!rule?.metricsEnabled) return judgeBucket(name, source, rules)
        const dimensions = {SourceBucket: name, DestinationBucket: rule.destinationBucketArn.replace('arn:aws:s3:::', ''), RuleId: rule.id}
        const [pendingOperations, latencySeconds] = await Promise.all([
          primary.maximum({namespace: 'AWS/S3', metricName: 'OperationsPendingReplication', dimensions}, window),
          primary.maximum({namespace: 'AWS/S3', metricName: 'ReplicationLatency', dimensions}, window),
        ])
        return judgeBucket(name, source, rules, {pendingOperations, latencySeconds})
      }, (message) => unreadableCheck({bucket: name, source, destinationBucket: recoveryBucketName(name)}, message))
    }, (message) => unreadableCheck({bucket: '', source, destinationBucket: ''}, message))
  }

  const vault = vaultName(target.env)
  const destinationVault = recoveryVaultName(target.env)
  const backup = guarded<BackupCheck>(async () => {
    const since = new Date(now.getTime() - DR_THRESHOLDS.copyLookbackDays * 86_400_000)
    const job = await primary.lastCopyJob(backupVaultArn(target.recoveryRegion, target.account, destinationVault), since)
    return judgeBackup(vault, destinationVault, job, now)
  }, (message) => unreadableCheck({vault, destinationVault}, message))

  const health = (role: 'primary' | 'recovery', region: string, key: string) =>
    guarded<HealthCheck>(async () => {
      const id = read(compute, target.stacks.compute, key)
      return guarded<HealthCheck>(async () => judgeHealth(role, region, id, await api.healthCheck(id)), (message) => unreadableCheck({role, region, healthCheckId: id}, message))
    }, (message) => unreadableCheck({role, region}, message))

  const [auroraCheck, dynamodbCheck, artifactBucket, redisBucket, backupCheck, primaryHealth, recoveryHealth] = await Promise.all([
    aurora,
    dynamodb,
    bucket(foundation, target.stacks.foundation, 'ArtifactBucketName'),
    bucket(data, target.stacks.data, 'RedisBackupBucketName'),
    backup,
    health('primary', target.primaryRegion, 'PrimaryHealthCheckId'),
    health('recovery', target.recoveryRegion, 'RecoveryHealthCheckId'),
  ])
  const serving = judgeServing(servingRegion(primaryHealth, recoveryHealth), auroraCheck.writerRegion)
  const checks = [auroraCheck, dynamodbCheck, artifactBucket, redisBucket, backupCheck, primaryHealth, recoveryHealth, serving]
  const state: CheckState = checks.some((check) => check.state === 'out-of-bounds') ? 'out-of-bounds' : checks.some((check) => check.state === 'unreadable') ? 'unreadable' : 'ok'
  return {
    env: target.env,
    primaryRegion: target.primaryRegion,
    recoveryRegion: target.recoveryRegion,
    rpoSeconds: target.rpoSeconds,
    rtoMinutes: target.rtoMinutes,
    checkedAt: now.toISOString(),
    aurora: auroraCheck,
    dynamodb: dynamodbCheck,
    buckets: [artifactBucket, redisBucket],
    backup: backupCheck,
    health: [primaryHealth, recoveryHealth],
    serving,
    state,
  }
}
