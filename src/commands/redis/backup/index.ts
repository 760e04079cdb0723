import {Flags} from '@oclif/core'
import {FintechCommand} from '../../../cli/base-command.js'
import {openRedisTarget, redisFlags, requireStack} from '../../../cli/redis-flow.js'
import {ExitCode, FintechError, InputError} from '../../../core/errors.js'
import {backupKey, bgsave, pickBackupReplica, uploadScript} from '../../../core/redis/backup.js'
import {readRedisStatus} from '../../../core/redis/status.js'
import {createApprover} from '../../../ui/approval.js'
import {yesFlag} from '../../../cli/flags.js'

interface BackupResult {
  dryRun: boolean
  replica: string
  instanceId: string
  bucket: string
  key: string
  savedAt?: string
}

export default class RedisBackup extends FintechCommand {
  static summary = 'Back up Redis: BGSAVE on a replica, then copy its RDB to the backup bucket through SSM Run Command on that instance.'

  static description = 'In a protected env (prod) it asks for approval, like every other mutating command (--yes in advance; without a terminal and without --yes: exit 2, nothing saved or sent).'

  static examples = ['<%= config.bin %> redis backup --env dev', '<%= config.bin %> redis backup --env prod --dry-run --json', '<%= config.bin %> redis backup --env prod --yes']

  static flags = {
    ...redisFlags,
    'dry-run': Flags.boolean({description: 'name the replica and the object key, and change nothing', default: false}),
    yes: yesFlag('approve a backup in a protected env (prod) without a prompt'),
    timeout: Flags.integer({description: 'seconds to wait for BGSAVE', default: 600, min: 1}),
  }

  async run(): Promise<BackupResult> {
    const {flags} = await this.parse(RedisBackup)
    const target = await openRedisTarget(flags, (path) => this.readConfig(path))
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
      if (flags['dry-run']) return this.deliver({text: `Dry run: would BGSAVE on ${replica} (${instanceId}) and copy it to s3://${stack.backupBucket}/${key}`, exitCode: ExitCode.ok, result})
      if (target.protected) {
        const approver = createApprover({yes: flags.yes, input: process.stdin, output: process.stderr})
        const answer = await approver.approve({reasons: [`${target.env} is protected: BGSAVE on ${replica} (${instanceId}) and an upload to s3://${stack.backupBucket}/${key}`], question: `Back up Redis ${target.masterName} in ${target.env}?`, stackName: stack.stackName})
        if (!answer.approved) throw new InputError(`backup of ${target.masterName} in ${target.env} not approved: ${answer.why}; nothing was changed`)
      }

      const record = (outcome: 'ok' | 'failed', detail: string) => target.audit.record({env: target.env!, action: 'redis backup', resource: instanceId, result: outcome, detail})
      try {
        this.note(`BGSAVE on ${replica} (${instanceId})`)
        result.savedAt = (await bgsave(target.connector, replica, flags.timeout * 1000)).savedAt
        this.note(`uploading through SSM Run Command on ${instanceId}`)
        const {runShellScript} = await import('../../../aws/ssm-commands.js')
        const run = await runShellScript(stack.aws, instanceId, uploadScript(stack.backupBucket, key), {comment: `fintech redis backup to ${key}`, timeoutSeconds: 600})
        if (run.status !== 'Success') throw new FintechError(`copying the RDB on ${instanceId} ended ${run.status} (command ${run.commandId}): ${run.output || 'no output'}`)
      } catch (error) {
        record('failed', (error as Error).message)
        throw error
      }
      record('ok', `s3://${stack.backupBucket}/${key}`)
      return this.deliver({text: `Backed up ${replica} (${instanceId}, saved ${result.savedAt}) to s3://${stack.backupBucket}/${key}`, exitCode: ExitCode.ok, result})
    } finally {
      target.close()
    }
  }
}
