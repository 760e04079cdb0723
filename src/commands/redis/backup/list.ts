import {FintechCommand} from '../../../cli/base-command.js'
import {openRedisTarget, redisFlags, requireStack} from '../../../cli/redis-flow.js'
import {ExitCode, FintechError} from '../../../core/errors.js'
import type {BackupObject} from '../../../aws/ssm-commands.js'

export default class RedisBackupList extends FintechCommand {
  static summary = 'List the Redis RDB backups in the data stack\'s backup bucket (hourly and manual), newest first.'

  static examples = ['<%= config.bin %> redis backup list --env dev']

  static flags = {env: redisFlags.env}

  async run(): Promise<{bucket: string; backups: BackupObject[]}> {
    const {flags} = await this.parse(RedisBackupList)
    if (!flags.env) throw new FintechError('--env is required: the backup bucket comes from the data stack', ExitCode.usage)
    const target = await openRedisTarget({...flags, 'via-ssm': false}, (path) => this.readConfig(path))
    const stack = requireStack(target, 'redis backup list')
    if (!stack.backupBucket) throw new FintechError(`the data stack ${stack.stackName} has no RedisBackupBucketName output`)
    const {listBackups} = await import('../../../aws/ssm-commands.js')
    const backups = await listBackups(stack.aws, stack.backupBucket, `${flags.env}/`)
    const text = [`Backups in s3://${stack.backupBucket}/${flags.env}/ (${backups.length})`, ...backups.map((backup) => `  ${backup.lastModified ?? ''}  ${String(backup.size).padStart(12)}  ${backup.key}`)].join('\n')
    return this.deliver({text, exitCode: ExitCode.ok, result: {bucket: stack.backupBucket, backups}})
  }
}
