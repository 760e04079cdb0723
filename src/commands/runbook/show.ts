import {Args} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {problemsOfRun, projectRunbooks} from '../../cli/runbooks.js'
import {ExitCode, InputError} from '../../core/errors.js'
import {findRunbook} from '../../core/runbook/load.js'
import type {Runbook} from '../../core/runbook/schema.js'
import {problemLines, renderRunbook} from '../../ui/runbook.js'

export default class RunbookShow extends FintechCommand {
  static summary = 'Show a runbook: when to use it, its parameters, its steps one per line, and its prose (how to verify, how to roll back by hand).'

  static description = 'Offline. An unknown runbook, or one that would fail — its file (or a runbook it calls) has errors, or a step calls a service, API or parameter the AWS SDK does not have — is bad input (exit 2, each error at file:line).'

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> runbook show failover', '<%= config.bin %> runbook show ledger-scale --json']

  static args = {name: Args.string({description: 'the runbook (fintech runbook list)', required: true})}

  async run(): Promise<Runbook> {
    const {args, flags} = await this.parse(RunbookShow)
    const set = projectRunbooks(this.readConfig(flags.config))
    const runbook = findRunbook(set, args.name)
    const problems = await problemsOfRun(set, runbook)
    if (problems.length > 0) throw new InputError(`runbook ${runbook.name} would fail:\n${problemLines(problems).map((line) => `  ${line}`).join('\n')}`, 'fintech validate lists every finding')
    return this.deliver({text: renderRunbook(runbook), exitCode: ExitCode.ok, result: runbook})
  }
}
