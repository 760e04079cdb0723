import {FintechCommand} from '../../cli/base-command.js'
import {scpPlanCommand, type ScpPlan} from '../../cli/scp.js'

export default class ScpPlanCommand extends FintechCommand {
  static summary = 'Show what scp apply would change in AWS Organizations: policies to create, update, attach, detach.'

  static description = `Compares the config's guardrails (the SCP files and the tag policy generated from requiredTags and tagging.allowedValues) with the organization, as the management account (environments.management; the caller's account is checked). OUs are found by name under the root, accounts by the config's ids. Policies fintech manages are known by name and by the tag fintech:managed=true; others are never touched. Updates show a content diff; changes that reach a protected env are marked for approval; the guards apply enforces are evaluated here too. Read-only. Exit 0, or 2 when apply would refuse the plan or the config is wrong.`

  static examples = ['<%= config.bin %> scp plan', '<%= config.bin %> scp plan --json']

  async run(): Promise<ScpPlan> {
    const {flags} = await this.parse(ScpPlanCommand)
    return this.deliver(await scpPlanCommand(this.readConfig(flags.config), flags))
  }
}
