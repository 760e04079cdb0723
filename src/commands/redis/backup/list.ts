import {FintechCommand} from '../../../cli/base-command.js'
import {redisBackupListCommand, type BackupList} from '../../../cli/redis-backup.js'
import {redisFlags} from '../../../cli/flags.js'

export default class RedisBackupList extends FintechCommand {
  static summary = 'List the Redis RDB backups in the data stack\'s backup bucket (hourly and manual), newest first.'

  static examples = ['<%= config.bin %> redis backup list --env dev']

  static flags = {env: redisFlags.env}

  async run(): Promise<BackupList> {
    const {flags} = await this.parse(RedisBackupList)
    return this.deliver(await redisBackupListCommand(flags, (path) => this.readConfig(path)))
  }
}
