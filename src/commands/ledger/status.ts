import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {openLedger, watchLedger} from '../../cli/ledger-flow.js'
import {ExitCode, InputError} from '../../core/errors.js'
import {DEFAULT_THRESHOLDS, readLedgerStatus, type LedgerStatus} from '../../core/ledger/status.js'
import {createLedgerDisplay, isInteractive} from '../../ui/ledger-display.js'
import {renderLedgerStatus} from '../../ui/ledger.js'

/** A share of requests in percent, decimals allowed: a bank may want 0.5%. */
const percentFlag = Flags.custom<number>({
  async parse(input) {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) throw new InputError(`expected a percentage from 0 to 100, got "${input}"`)
    return value
  },
})

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
    const loaded = this.readConfig(flags.config)
    const ledger = await openLedger(loaded, flags.env, this.awsTarget(loaded, flags.env, flags))
    const thresholds = {maxErrorRate: flags['max-5xx-percent'] / 100, maxP99Ms: flags['max-p99-ms'], maxReplicaLagMs: flags['max-replica-lag-ms']}
    const read = () => readLedgerStatus(ledger.api, ledger.resources, {now: new Date(), thresholds})

    const exitCode = (status: LedgerStatus) => (status.healthy ? ExitCode.ok : ExitCode.failed)

    if (!flags.watch) {
      const status = await read()
      if (this.jsonEnabled() || !isInteractive(process.stdout)) return this.deliver({text: renderLedgerStatus(status), exitCode: exitCode(status), result: status})
      const dashboard = await createLedgerDisplay({stdout: process.stdout, json: false})
      dashboard.show(status)
      await dashboard.close()
      process.exitCode = exitCode(status)
      return status
    }

    const display = await createLedgerDisplay({stdout: process.stdout, json: this.jsonEnabled(), intervalSeconds: flags.interval})
    try {
      const last = await watchLedger(read, (status) => display.show(status), flags.interval)
      process.exitCode = exitCode(last)
    } finally {
      await display.close()
    }
    // Each refresh was printed as it came: oclif must not print the last one again under --json.
    return undefined
  }
}
