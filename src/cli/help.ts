import {Help, type Command, type Interfaces} from '@oclif/core'

const RUNBOOK_TOPIC = 'runbook'

/**
 * oclif's help, except for `fintech runbook --help`: its subcommands, then the runbooks, each
 * run as `fintech runbook NAME` — the shipped ones (commands of their own) and those only in
 * the project's runbooks/ (run through the command_not_found hook), read through the config
 * that --config, FINTECH_CONFIG or the current folder names.
 */
export default class FintechHelp extends Help {
  private configFile: string | undefined

  async showHelp(argv: string[]): Promise<void> {
    this.configFile = configFlagOf(argv) ?? process.env.FINTECH_CONFIG
    return super.showHelp(argv)
  }

  protected async showTopicHelp(topic: Interfaces.Topic): Promise<void> {
    if (topic.name !== RUNBOOK_TOPIC) return super.showTopicHelp(topic)
    const {RUNBOOK_SUBCOMMANDS} = await import('../core/runbook/load.js')
    const commands = this.sortedCommands.filter((command) => command.id.split(':').length === 2 && command.id.startsWith(`${RUNBOOK_TOPIC}:`))
    const nameOf = (command: Command.Loadable) => command.id.split(':')[1]!
    const subcommands = commands.filter((command) => RUNBOOK_SUBCOMMANDS.includes(nameOf(command)))
    const shipped = commands.filter((command) => !RUNBOOK_SUBCOMMANDS.includes(nameOf(command)))
    const projectOnly = (await this.projectRunbooks()).filter((runbook) => !shipped.some((command) => nameOf(command) === runbook.name))
    const runbooks = [
      ...shipped.map((command) => [`${RUNBOOK_TOPIC} ${nameOf(command)}`, this.summary(command)]),
      ...projectOnly.map((runbook) => [`${RUNBOOK_TOPIC} ${runbook.name}`, `${runbook.title} (${runbook.file})`]),
    ]
    this.log(this.formatTopic(topic))
    this.log(this.formatCommands(subcommands))
    this.log('')
    if (runbooks.length === 0) return
    const body = this.renderList(runbooks, {indentation: 2, spacer: '\n', stripAnsi: this.opts.stripAnsi})
    this.log(this.section(`RUNBOOKS (${this.config.bin} runbook NAME --env ENV runs one, as ${this.config.bin} runbook run NAME does)`, body))
    this.log('')
  }

  /** The runbooks of the project the config names; none when there is no readable config there. */
  private async projectRunbooks(): Promise<Array<{name: string; title: string; file: string}>> {
    const [{DEFAULT_CONFIG_FILE, loadConfig}, {projectRunbooks}] = await Promise.all([import('../core/config/load.js'), import('./runbooks.js')])
    try {
      return [...projectRunbooks(loadConfig(this.configFile ?? DEFAULT_CONFIG_FILE)).runbooks.values()]
    } catch {
      return []
    }
  }
}

function configFlagOf(argv: string[]): string | undefined {
  const at = argv.findIndex((arg) => arg === '--config' || arg.startsWith('--config='))
  if (at < 0) return undefined
  return argv[at]!.includes('=') ? argv[at]!.slice('--config='.length) : argv[at + 1]
}
