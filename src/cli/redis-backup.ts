import type {BackupObject} from '../aws/s3.js'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {backupKey, bgsave, pickBackupReplica, uploadScript} from '../core/redis/backup.js'
import {readRedisStatus} from '../core/redis/status.js'
import {createApprover} from '../ui/terminal.js'
import type {CommandIO, Outcome} from './command-io.js'
import {type RedisFlags, openRedisTarget, requireStack} from './redis.js'

export interface BackupList {
  bucket: string
  backups: BackupObject[]
}

export interface BackupResult {
  dryRun: boolean
  replica: string
  instanceId: string
  bucket: string
  key: string
  savedAt?: string
}

/** `fintech redis backup`: BGSAVE on a replica, its RDB copied to the backup bucket through SSM. */
export async function redisBackupCommand(
  flags: RedisFlags & {'dry-run': boolean; yes: boolean; timeout: number},
  readConfig: (path: string) => LoadedConfig,
  io: CommandIO,
): Promise<Outcome<BackupResult>> {
  const target = await openRedisTarget(flags, readConfig)
  try {
    const stack = requireStack(target, 'redis backup')
    if (!stack.backupBucket) throw new FintechError(`the data stack ${stack.stackName} has no RedisBackupBucketName output`)
    const status = await readRedisStatus(target.connector, target.sentinels, target.masterName)
    const replica = pickBackupReplica(status)
    const index = stack.nodes.findIndex((node) => `${node.host}:${node.port}` === replica)
    const instanceId = stack.instanceIds[index]
    if (index < 0 || !instanceId) throw new InputError(`replica ${replica} is not among the data stack's RedisNodeAddresses (${stack.nodes.map((node) => `${node.host}:${node.port}`).join(', ')}), so its instance is unknown`)
    const key = backupKey(target.env!, instanceId, new Date())
    const result: BackupResult = {dryRun: flags['dry-run'], replica, instanceId, bucket: stack.backupBucket, key}
    if (flags['dry-run']) return {text: `Dry run: would BGSAVE on ${replica} (${instanceId}) and copy it to s3://${stack.backupBucket}/${key}`, exitCode: ExitCode.ok, result}
    if (target.protected) {
      const approver = createApprover({yes: flags.yes, input: process.stdin, output: process.stderr})
      const answer = await approver.approve({reasons: [`${target.env} is protected: BGSAVE on ${replica} (${instanceId}) and an upload to s3://${stack.backupBucket}/${key}`], question: `Back up Redis ${target.masterName} in ${target.env}?`, stackName: stack.stackName})
      if (!answer.approved) throw new InputError(`backup of ${target.masterName} in ${target.env} not approved: ${answer.why}; nothing was changed`)
    }

    const record = (outcome: 'ok' | 'failed', detail: string) => target.audit.record({env: target.env!, action: 'redis backup', resource: instanceId, result: outcome, detail})
    try {
      io.note(`BGSAVE on ${replica} (${instanceId})`)
      result.savedAt = (await bgsave(target.connector, replica, flags.timeout * 1000)).savedAt
      io.note(`uploading through SSM Run Command on ${instanceId}`)
      const {runShellScript} = await import('../aws/ssm.js')
      const run = await runShellScript(stack.aws, instanceId, uploadScript(stack.backupBucket, key), {comment: `fintech redis backup to ${key}`, timeoutSeconds: 600})
      if (run.status !== 'Success') throw new FintechError(`copying the RDB on ${instanceId} ended ${run.status} (command ${run.commandId}): ${run.output || 'no output'}`)
    } catch (error) {
      record('failed', (error as Error).message)
      throw error
    }
    record('ok', `s3://${stack.backupBucket}/${key}`)
    return {text: `Backed up ${replica} (${instanceId}, saved ${result.savedAt}) to s3://${stack.backupBucket}/${key}`, exitCode: ExitCode.ok, result}
  } finally {
    target.close()
  }
}

/** `fintech redis backup list`: the env's backups in the bucket. */
export async function redisBackupListCommand(
  flags: {config: string; profile?: string; region?: string; env?: string},
  readConfig: (path: string) => LoadedConfig,
): Promise<Outcome<BackupList>> {
  if (!flags.env) throw new FintechError('--env is required: the backup bucket comes from the data stack', ExitCode.usage)
  const target = await openRedisTarget({...flags, 'via-ssm': false}, readConfig)
  const stack = requireStack(target, 'redis backup list')
  if (!stack.backupBucket) throw new FintechError(`the data stack ${stack.stackName} has no RedisBackupBucketName output`)
  const {listBackups} = await import('../aws/s3.js')
  const backups = await listBackups(stack.aws, stack.backupBucket, `${flags.env}/`)
  const text = [`Backups in s3://${stack.backupBucket}/${flags.env}/ (${backups.length})`, ...backups.map((backup) => `  ${backup.lastModified ?? ''}  ${String(backup.size).padStart(12)}  ${backup.key}`)].join('\n')
  return {text, exitCode: ExitCode.ok, result: {bucket: stack.backupBucket, backups}}
}
