import {Flags} from '@oclif/core'
import {withInterrupt} from '../../cli/aws-session.js'
import {FintechCommand} from '../../cli/base-command.js'
import {managementTarget, planFromAws} from '../../cli/scp.js'
import {InterruptedError} from '../../core/deploy/clock.js'
import {ExitCode, FintechError} from '../../core/errors.js'
import {applyGuardrailPlan, type ChangeResult} from '../../core/scp/apply.js'
import {describeChange, type ScpPlan} from '../../core/scp/plan.js'
import {createApprover} from '../../ui/approval.js'
import {renderApplyResults, renderPlan} from '../../ui/scp.js'
import {yesFlag} from '../../cli/flags.js'

export type ScpApplyOutput = ScpPlan & {
  dryRun: boolean
  /** approved: asked and said yes, or --yes; not-needed: nothing reaches a protected env. */
  approval: ScpPlan['approval'] & {outcome: 'approved' | 'declined' | 'not-needed' | 'not-asked'}
  results: Array<Omit<ChangeResult, 'change'> & {change: string; action: string}>
}

export default class ScpApply extends FintechCommand {
  static summary = 'Apply the config\'s SCPs and tag policy to AWS Organizations, after showing the plan.'

  static description = `Runs what \`scp plan\` shows, in order: enable the policy types, create and update policies, attach, then detach (so no target is ever without its policies), then delete fintech's policies the config no longer lists. A second run changes nothing. Changes that reach a protected env (prod, and anything at the root) need approval: a prompt on a terminal, --yes elsewhere; without it exit 2. Whatever the flags, apply refuses (exit 2, nothing changed) a plan that would leave a target with no Allow (e.g. without FullAWSAccess), attach a Deny of every action to the root or the management account, or stop the break-glass role (guardrails.breakGlassRole) from its emergency actions in any env. Each change leaves an audit line. Exit 3 when a change failed after others were made.`

  static examples = ['<%= config.bin %> scp apply --dry-run', '<%= config.bin %> scp apply', '<%= config.bin %> scp apply --yes --json']

  static flags = {
    'dry-run': Flags.boolean({default: false, description: 'show the plan and the guards\' verdict; change nothing'}),
    yes: yesFlag('approve changes that reach a protected env without asking'),
  }

  async run(): Promise<ScpApplyOutput> {
    const {flags} = await this.parse(ScpApply)
    const loaded = this.readConfig(flags.config)
    const {plan, desired, api, audit} = await planFromAws(loaded, managementTarget(loaded, flags))
    const output = (outcome: ScpApplyOutput['approval']['outcome'], results: ChangeResult[] = []): ScpApplyOutput => ({
      ...plan,
      dryRun: flags['dry-run'],
      approval: {...plan.approval, outcome},
      results: results.map(({change, ...rest}) => ({...rest, action: change.action, change: describeChange(change)})),
    })
    const planText = renderPlan(plan)
    if (plan.refusals.length > 0) {
      return this.deliver({text: `${planText}\n\nNothing was changed.`, exitCode: ExitCode.usage, result: output('not-asked')})
    }
    if (flags['dry-run'] || plan.changes.length === 0) {
      return this.deliver({text: `${planText}${flags['dry-run'] && plan.changes.length > 0 ? '\n\nDry run: nothing was changed.' : ''}`, exitCode: ExitCode.ok, result: output(plan.approval.required ? 'not-asked' : 'not-needed')})
    }
    if (!this.jsonEnabled()) this.note(planText)
    let outcome: ScpApplyOutput['approval']['outcome'] = 'not-needed'
    if (plan.approval.required) {
      const answer = await withInterrupt(({interrupt}) =>
        createApprover({yes: flags.yes, input: process.stdin, output: process.stderr, onInterrupt: interrupt}).approve({
          stackName: 'guardrails',
          question: `Apply ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'} to organization ${plan.organization.id}?`,
          reasons: plan.approval.reasons,
        }),
      ).catch((error: unknown) => {
        if (!(error instanceof InterruptedError)) throw error
        throw new FintechError('interrupted at the approval prompt: nothing was changed', ExitCode.interrupted)
      })
      if (!answer.approved) {
        return this.deliver({text: `Not approved: ${answer.why ?? 'declined'}. Nothing was changed.`, exitCode: ExitCode.usage, result: output('declined')})
      }
      outcome = 'approved'
    }
    const results = await applyGuardrailPlan(api, plan, desired, audit, (line) => this.note(`${new Date().toISOString()} ${line}`))
    const done = results.filter((result) => result.result === 'done').length
    const failed = results.some((result) => result.result === 'failed')
    return this.deliver({
      text: renderApplyResults(results),
      exitCode: !failed ? ExitCode.ok : done > 0 ? ExitCode.partial : ExitCode.failed,
      result: output(outcome, results),
    })
  }
}
