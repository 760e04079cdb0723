import {FintechCommand} from '../../cli/base-command.js'
import {ShutdownCommand} from '../../cli/shutdown-command.js'
import {shutdownStatusCommand, type ShutdownStatusResult} from '../../cli/shutdown-flow.js'

export default class ShutdownStatus extends FintechCommand {
  static summary = 'Show an env\'s shutdown state: the lock, the latest manifest, and each recorded resource now.'

  static examples = ['<%= config.bin %> shutdown status --env dev', '<%= config.bin %> shutdown status --env dev --json']

  static flags = {...ShutdownCommand.flags}

  async run(): Promise<ShutdownStatusResult> {
    const {flags} = await this.parse(ShutdownStatus)
    return this.deliver(await shutdownStatusCommand(this.readConfig(flags.config), flags))
  }
}
