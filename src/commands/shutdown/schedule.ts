import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {shutdownScheduleCommand, type ScheduleFlowResult} from '../../cli/shutdown-schedule.js'
import {yesFlag} from '../../cli/flags.js'

export default class ShutdownSchedule extends FintechCommand {
  static summary = 'Deploy the nightly stop and morning start of a non-production env as EventBridge schedules.'

  static description = `Reads the env's schedule in fintech.config.yaml (timezone, stop, start, days, holidays) and deploys the stack fintech-<env>-shutdown-schedule (templates/shutdown/scheduler.yaml) through a reviewed change set: two EventBridge Scheduler schedules that run this CLI's container image as a Fargate task in the env's cluster, \`shutdown stop --scheduled\` every day at the stop time and \`shutdown start --scheduled\` on the schedule's days at the start time (the CLI itself skips holidays), with least-privilege roles. The platform's stages must be deployed first. A protected env, or one without a schedule, is refused. --print-cron prints crontab lines instead, for running the schedule elsewhere, and needs no AWS access. See docs/shutdown-schedule.md.`

  static examples = [
    '<%= config.bin %> shutdown schedule --env dev --dry-run',
    '<%= config.bin %> shutdown schedule --env dev --image 111111111111.dkr.ecr.eu-west-1.amazonaws.com/fintech:0.1.0 --yes',
    '<%= config.bin %> shutdown schedule --env test --print-cron',
  ]

  static flags = {
    env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
    image: Flags.string({description: 'container image of the CLI the tasks run (default: shutdown.image, else <account>.dkr.ecr.<region>.amazonaws.com/fintech:<version>)'}),
    'dry-run': Flags.boolean({default: false, description: 'create the change set, show it and delete it; change nothing'}),
    yes: yesFlag('approve the change set without asking (new or wider IAM grants need approval)'),
    'print-cron': Flags.boolean({
      default: false,
      description: 'print crontab lines (CRON_TZ) for running the schedule outside AWS; no AWS call',
      exclusive: ['image', 'dry-run', 'yes'],
    }),
  }

  async run(): Promise<ScheduleFlowResult> {
    const {flags} = await this.parse(ShutdownSchedule)
    return this.deliver(await shutdownScheduleCommand(this.readConfig(flags.config), flags, {root: this.config.root, version: this.config.version}, this.io()))
  }
}
