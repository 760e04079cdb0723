import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {DEFAULT_THRESHOLDS, ledgerStatusCommand, type LedgerStatus} from '../../cli/ledger.js'
import {percentFlag} from '../../cli/flags.js'

export default class LedgerStatusCommand extends FintechCommand {
  static summary = 'Health of the Fargate ledger service: tasks and rollout, load balancer targets, requests, 5xx rate and latency, Aurora writer and readers, alarms.'

  static description =
    'Reads the env\'s compute and data stacks for where everything is, then ECS, Elastic Load Balancing, CloudWatch (the last 15 minutes, per minute) and RDS. Exits 1 when anything is unhealthy and says why. --watch redraws every --interval seconds until Ctrl-C; with --json it prints one JSON object per line, one line per refresh.'

  static examples = [
    '<%= config.bin %> ledger status --env prod',
    '<%= config.bin %> ledger status --env dev --watch --interval 30',
    '<%= config.bin %> ledger status --env test --json',
  ]

  static flags = {
    env: Flags.string({description: 'environment whose ledger to read', required: true}),
    watch: Flags.boolean({description: 'refresh every --interval seconds until Ctrl-C', default: false}),
    interval: Flags.integer({description: 'seconds between refreshes with --watch', default: 15, min: 1}),
    'max-5xx-percent': percentFlag({description: 'a 5xx rate above this percentage of requests (latest minute) is unhealthy', default: DEFAULT_THRESHOLDS.maxErrorRate * 100}),
    'max-p99-ms': Flags.integer({description: 'a p99 response time above this (latest minute) is unhealthy', default: DEFAULT_THRESHOLDS.maxP99Ms, min: 1}),
    'max-replica-lag-ms': Flags.integer({description: 'an Aurora reader further behind the writer is unhealthy', default: DEFAULT_THRESHOLDS.maxReplicaLagMs, min: 0}),
  }

  async run(): Promise<LedgerStatus | undefined> {
    const {flags} = await this.parse(LedgerStatusCommand)
    return this.deliver(await ledgerStatusCommand(this.readConfig(flags.config), flags, this.io()))
  }
}
