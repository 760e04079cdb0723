import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {costReportCommand, GRANULARITIES, type CostReport} from '../../cli/cost.js'
import {costFlags} from '../../cli/flags.js'

export default class CostReportCommand extends FintechCommand {
  static summary = 'Cost by service, env or tag over a period, against the period before (Cost Explorer).'

  static description = `One GetCostAndUsage query covers the period and the one before it (every page followed), so a report costs one request ($0.01) plus any extra pages; answers are cached on disk for the UTC day (--refresh asks again). Periods end with yesterday (UTC): Nd is the last N full days, Nm the last N whole calendar months, mtd this month so far against as many days of last month. --env limits the report to those envs' accounts (LINKED_ACCOUNT); --by env groups by account and names each by its env. Read-only: no account guard, no audit line; run it from the management (payer) account to see every env.`

  static examples = [
    '<%= config.bin %> cost report --env dev --by service --period 30d',
    '<%= config.bin %> cost report --by env --period 3m',
    '<%= config.bin %> cost report --by tag:CostCenter --period mtd --csv costs.csv',
    '<%= config.bin %> cost report --env prod --period 6m --granularity daily --format csv > prod.csv',
  ]

  static flags = {
    ...costFlags,
    env: Flags.string({description: 'env whose account to report on (repeatable); every env of the config when left out', multiple: true}),
    by: Flags.string({description: 'group by service, env or tag:<Key>', default: 'service'}),
    period: Flags.string({description: 'Nd (1-180 days), Nm (1-6 whole months) or mtd', default: '30d'}),
    granularity: Flags.string({description: 'time buckets: daily, or monthly for Nm periods (default: monthly for Nm, daily otherwise)', options: [...GRANULARITIES]}),
    top: Flags.integer({description: 'groups shown in the table; the rest are summed in one line', default: 10, min: 1}),
    format: Flags.string({description: 'stdout format', options: ['text', 'csv'], default: 'text'}),
    csv: Flags.string({description: 'also write the report as CSV to this file'}),
  }

  async run(): Promise<CostReport> {
    const {flags} = await this.parse(CostReportCommand)
    return this.deliver(await costReportCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
