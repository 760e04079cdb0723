import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, FintechError, InputError} from '../core/errors.js'
import {isBreakGlassCaller, planRestore, runRestore, type RestoreEvent, type RestorePlan, type RestoreResult} from '../core/redis/restore.js'
import {readRedisStatus} from '../core/redis/status.js'
import {confirmByTyping, requireConfirmationPossible} from '../ui/terminal.js'
import type {CommandIO, Outcome} from './command-io.js'
import {type RedisFlags, openRedisTarget, requireStack, ssmNodeShell, stackNodes} from './redis.js'

export interface RestoreOutput {
  dryRun: boolean
  env: string
  backup: {key: string; size: number; lastModified?: string}
  plan: RestorePlan
  result?: Omit<RestoreResult, 'plan'>
}

function describe(event: RestoreEvent): string {
  switch (event.kind) {
    case 'held': return `every Sentinel sees replica-priority 0 on ${event.replicas.join(', ')}: no replica can be promoted`
    case 'restoring': return `restoring on ${event.instanceId} through SSM Run Command (Redis is down from here until it has loaded the backup)`
    case 'primary-back': return `the primary answers with the backup loaded (${event.keys} keys)`
    case 'replicas-resynced': return `${event.replicas.join(', ')} resynced from the restored primary`
    case 'priorities-back': return `every Sentinel reports ${event.replicas.join(', ')} with its replica-priority back: a failover may promote them again`
  }
}

const stampOf = (at: Date) => at.toISOString().replaceAll(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')

/** `fintech redis restore`: the primary restored from a backup in the bucket, the replicas resynced from it. */
export async function redisRestoreCommand(
  flags: RedisFlags & {backup: string; 'dry-run': boolean; yes: boolean; 'break-glass': boolean; timeout: number},
  readConfig: (path: string) => LoadedConfig,
  io: CommandIO,
): Promise<Outcome<RestoreOutput>> {
  if (!flags.env) throw new InputError('--env is required: the backup bucket and the instances come from the data stack')
  const target = await openRedisTarget(flags, readConfig)
  try {
    const env = target.env!
    const stack = requireStack(target, 'redis restore')
    if (target.protected && !flags['dry-run']) {
      const role = readConfig(flags.config).config.guardrails.breakGlassRole
      if (!flags['break-glass']) throw new InputError(`${env} is protected: a restore replaces its data and needs --break-glass, run as the ${role} role; nothing was changed`)
      if (!isBreakGlassCaller(target.caller, role)) throw new InputError(`${env} is protected: a restore must run as the break-glass role ${role} (guardrails.breakGlassRole), not ${target.caller}; nothing was changed`)
    }
    if (!stack.backupBucket) throw new FintechError(`the data stack ${stack.stackName} has no RedisBackupBucketName output`)
    const {headBackup} = await import('../aws/s3.js')
    const backup = await headBackup(stack.aws, stack.backupBucket, flags.backup)
    if (!backup) throw new InputError(`backup ${flags.backup} not found in s3://${stack.backupBucket}; nothing was changed`, `fintech redis backup list --env ${env} lists the backups`)

    const status = await readRedisStatus(target.connector, target.sentinels, target.masterName)
    const plan = planRestore(status, stackNodes(stack), stack.backupBucket, flags.backup, stampOf(new Date()))
    const output: RestoreOutput = {dryRun: flags['dry-run'], env, backup, plan}
    const stepsText = plan.steps.map((step, index) => `  ${index + 1}. ${step}`)
    if (flags['dry-run']) {
      const refusal = target.protected ? [`(${env} is protected: the real run needs --break-glass as the break-glass role, and a typed confirmation or --yes)`] : []
      return {text: [`Dry run: restore of ${plan.primary} in ${env} from s3://${plan.bucket}/${plan.key} (${backup.size} bytes, ${backup.lastModified ?? 'date unknown'}) would:`, ...stepsText, ...refusal].join('\n'), exitCode: ExitCode.ok, result: output}
    }
    if (target.protected && !flags.yes) {
      const rule = {command: 'redis restore', reason: `${env} is protected`, yes: false, dryRun: true}
      requireConfirmationPossible(rule)
      io.note([`Restore ${env} from s3://${plan.bucket}/${plan.key}:`, ...stepsText].join('\n'))
      await confirmByTyping({...rule, prompt: `This replaces the data of ${plan.primary} in ${env}.`, expected: env, refused: 'not confirmed; nothing was changed'})
    }

    const record = (result: 'ok' | 'failed', detail: string) => target.audit.record({env, action: 'redis restore', resource: plan.instanceId, result, detail})
    let restored: RestoreResult
    try {
      restored = await runRestore(target.connector, target.sentinels, target.masterName, ssmNodeShell(stack.aws, flags.timeout), plan, {timeoutMs: flags.timeout * 1000}, (event) => io.note(describe(event)))
    } catch (error) {
      record('failed', `s3://${plan.bucket}/${plan.key}: ${(error as Error).message}`)
      throw error
    }
    record('ok', `s3://${plan.bucket}/${plan.key} -> ${plan.primary}; ${restored.keysAfter} keys; files replaced kept in the node's before-restore-${plan.stamp}`)
    const text = [
      `Restored ${plan.primary} (${plan.instanceId}) in ${env} from s3://${plan.bucket}/${plan.key}: ${restored.keysAfter} keys (${restored.keysBefore ?? '?'} before)`,
      `  replicas resynced: ${plan.replicas.join(', ') || 'none'}; the SSM command took ${(restored.commandMs / 1000).toFixed(1)} s, the whole restore ${(restored.totalMs / 1000).toFixed(1)} s`,
      `  ${restored.output}`,
    ].join('\n')
    return {text, exitCode: ExitCode.ok, result: {...output, result: {commandId: restored.commandId, output: restored.output, ...(restored.keysBefore === undefined ? {} : {keysBefore: restored.keysBefore}), keysAfter: restored.keysAfter, commandMs: restored.commandMs, totalMs: restored.totalMs}}}
  } finally {
    target.close()
  }
}
