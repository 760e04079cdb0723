import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {openGuardedSession} from '../../cli/aws-session.js'
import {ExitCode, InputError} from '../../core/errors.js'
import {selectEnvironment} from '../../core/stages/select.js'
import {activateCostAllocationTags, type ActivationRun} from '../../core/tags/activate.js'
import {renderActivation} from '../../ui/tags.js'
import {typedConfirmation} from '../../ui/typed-confirmation.js'
import {yesFlag} from '../../cli/flags.js'

export type TagsActivateResult = ActivationRun & {env: string; account: string}

export default class TagsActivate extends FintechCommand {
  static summary = 'Activate the required tags as cost-allocation tags in Cost Explorer (payer account).'

  static description = `Runs against the payer (management) account, where cost-allocation tags live: ListCostAllocationTags shows which required tags are already Active, Inactive, or not found yet (billing sees a key about a day after a resource first carries it), then UpdateCostAllocationTagsStatus activates the inactive ones, at most 20 keys a call. Active keys are left alone, so it can run every day. One audit line per key activated. In a protected env (the payer account usually is one) the env name must be typed at a terminal, or --yes given. Exit 3 when Cost Explorer refused some keys; keys not found yet are reported, not an error.`

  static examples = ['<%= config.bin %> tags activate --dry-run', '<%= config.bin %> tags activate', '<%= config.bin %> tags activate --env management --yes --json']

  static flags = {
    env: Flags.string({description: 'the env of the payer account (AWS Organizations management account)', default: 'management'}),
    'dry-run': Flags.boolean({default: false, description: 'show the status of each required tag; activate nothing'}),
    yes: yesFlag('skip the typed confirmation a protected env asks for'),
  }

  async run(): Promise<TagsActivateResult> {
    const {flags} = await this.parse(TagsActivate)
    const loaded = this.readConfig(flags.config)
    const env = selectEnvironment(loaded.config, flags.env)
    const profile = flags.profile ?? env.profile
    const target = {region: 'us-east-1', ...(profile ? {profile} : {}), timeouts: loaded.config.aws}
    const mustConfirm = env.protected && !flags['dry-run'] && !flags.yes
    if (mustConfirm && !process.stdin.isTTY) {
      throw new InputError(`${flags.env} is protected: tags activate needs the env name typed at a terminal, and there is none`, 'review with --dry-run, then re-run with --yes')
    }
    const session = await openGuardedSession(loaded, flags.env, target)
    const api = await (await import('../../aws/cost-allocation-tags.js')).createCostAllocationApi(target)
    const confirm = mustConfirm
      ? (keys: string[]) => typedConfirmation(`This activates ${keys.join(', ')} as cost-allocation tags in ${flags.env} (account ${env.account}).`, flags.env, process.stdin, process.stderr)
      : undefined
    const run = await activateCostAllocationTags(api, loaded.config.requiredTags, {dryRun: flags['dry-run'], audit: session.audit, envName: flags.env, confirm})
    const failed = run.tags.some((tag) => tag.result === 'failed')
    return this.deliver({
      text: renderActivation(run, {env: flags.env, account: env.account}),
      exitCode: failed ? ExitCode.partial : ExitCode.ok,
      result: {...run, env: flags.env, account: env.account},
    })
  }
}
