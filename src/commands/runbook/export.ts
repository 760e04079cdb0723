import {Args, Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {runbookExportCommand, type RunbookExportOutput} from '../../cli/runbooks.js'

export default class RunbookExport extends FintechCommand {
  static summary = 'Write a runbook as an SSM Automation document (schemaVersion 0.3).'

  static description = [
    'aws → aws:executeAwsApi, wait → aws:waitForAwsResourceProperty, assert → aws:assertAwsResourceProperty, approve → aws:approve (Approvers is a document parameter), script → aws:executeScript, runbook → aws:executeAutomation of fintech-NAME.',
    'A shell step without env → aws:runCommand (AWS-RunShellScript) on the instances tagged instanceTag and Environment={{ Environment }}; a shell step with env and the redis operations (status, failover as fintech redis failover does it) → aws:executeScript that sends the command through Run Command with the values as environment variables.',
    '{{ time.… }} → an aws:executeScript step reading the clock just before the step; an aws step with an output default → aws:executeScript calling the API and applying the default. String parameters get an allowedPattern.',
    'retries become maxAttempts, onFailure Abort/Continue/step:NAME, timeout timeoutSeconds, {{ params.X }} → {{ X }}, {{ steps.S.outputs.O }} → {{ S.O }}.',
    'When a step has no SSM equivalent the command names each such step with the reason on stderr, writes nothing and exits 1: a document with a check left out would be worse than none.',
    'The document goes to stdout (JSON), or to --output (YAML when the name ends in .yaml or .yml, JSON otherwise).',
  ].join(' ')

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = ['<%= config.bin %> runbook export ledger-scale --format ssm', '<%= config.bin %> runbook export ledger-rollback --format ssm --output ledger-rollback.yaml']

  static args = {name: Args.string({description: 'the runbook (fintech runbook list)', required: true})}

  static flags = {
    format: Flags.string({description: 'the document format', options: ['ssm'], required: true}),
    output: Flags.string({char: 'o', description: 'write the document to this file instead of stdout'}),
  }

  async run(): Promise<RunbookExportOutput> {
    const {args, flags} = await this.parse(RunbookExport)
    return this.deliver(runbookExportCommand(this.readConfig(flags.config), args.name, flags, this.io()))
  }
}
