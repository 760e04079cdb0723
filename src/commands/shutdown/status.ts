import {FintechCommand} from '../../cli/base-command.js'
import {shutdownStatusCommand, type ShutdownStatusResult} from '../../cli/shutdown.js'
import {shutdownEnvFlag} from '../../cli/flags.js'

export default class ShutdownStatus extends FintechCommand {
  static summary = 'Show an env\'s shutdown state: the lock, the latest manifest, and each recorded resource now.'

  static description = `Reads, changes nothing: who holds the env's shutdown lock, the next scheduled stop and start (from the env's schedule, in its time zone), the latest manifest in the state bucket with its runs, and each resource that manifest recorded: its region and tier, its state before the night, its state now, and whether \`shutdown start\` would restore it. A region that cannot be read shows its resources as unknown.`

  static examples = ['<%= config.bin %> shutdown status --env dev', '<%= config.bin %> shutdown status --env dev --json']

  static flags = {env: shutdownEnvFlag}

  async run(): Promise<ShutdownStatusResult> {
    const {flags} = await this.parse(ShutdownStatus)
    return this.deliver(await shutdownStatusCommand(this.readConfig(flags.config), flags))
  }
}
