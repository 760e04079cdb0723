import {Args} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {projectRunbooks} from '../../cli/runbooks.js'
import {ExitCode} from '../../core/errors.js'
import {findRunbook} from '../../core/runbook/load.js'
import type {Runbook} from '../../core/runbook/schema.js'
import {renderRunbook} from '../../ui/runbook.js'

export default class RunbookShow extends FintechCommand {
  static summary = 'Show a runbook: when to use it, its parameters, its steps one per line, and its prose (how to verify, how to roll back by hand).'

  static description = 'Offline. An unknown runbook, or one whose file has errors, is bad input (exit 2, the error at file:line).'

  static examples = ['<%= config.bin %> runbook show failover', '<%= config.bin %> runbook show ledger-scale --json']

  static args = {name: Args.string({description: 'the runbook (fintech runbook list)', required: true})}

  async run(): Promise<Runbook> {
    const {args, flags} = await this.parse(RunbookShow)
    const runbook = findRunbook(projectRunbooks(this.readConfig(flags.config)), args.name)
    return this.deliver({text: renderRunbook(runbook), exitCode: ExitCode.ok, result: runbook})
  }
}
