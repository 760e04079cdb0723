import {Flags} from '@oclif/core'
import {FintechCommand} from '../../../cli/base-command.js'
import {redisBackupCommand, type BackupResult} from '../../../cli/redis-backup.js'
import {redisFlags, yesFlag} from '../../../cli/flags.js'

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
    return this.deliver(await redisBackupCommand(flags, (path) => this.readConfig(path), this.io()))
  }
}
