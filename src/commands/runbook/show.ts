import {Args} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {runbookShowCommand, type Runbook} from '../../cli/runbooks.js'

export default class RunbookShow extends FintechCommand {
  static summary = 'Show a runbook: when to use it, its parameters, its steps one per line, and its prose (how to verify, how to roll back by hand).'

  static description = 'Offline. An unknown runbook, or one that would fail — its file (or a runbook it calls) has errors, or a step calls a service, API or parameter the AWS SDK does not have — is bad input (exit 2, each error at file:line).'

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> runbook show failover', '<%= config.bin %> runbook show ledger-scale --json']

  static args = {name: Args.string({description: 'the runbook (fintech runbook list)', required: true})}

  async run(): Promise<Runbook> {
    const {args, flags} = await this.parse(RunbookShow)
    return this.deliver(await runbookShowCommand(this.readConfig(flags.config), args.name))
  }
}
