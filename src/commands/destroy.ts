import {Flags} from '@oclif/core'
import Table from 'cli-table3'
import {FintechCommand} from '../cli/base-command.js'
import {openGuardedSession, withInterrupt} from '../cli/aws-session.js'
import {systemClock} from '../core/deploy/clock.js'
import {assertGlobalClustersDetached, assertNoDataLoss, destroyOrder, destroyTargets, runDestroy, type DestroyStackResult} from '../core/destroy/run-destroy.js'
import {ExitCode, InputError} from '../core/errors.js'
import {planEnvironment} from '../core/stages/plan.js'
import {selectEnvironment, selectStages, stackNameOf, stackRegionOf, stacksFor} from '../core/stages/select.js'
import {createReporter} from '../ui/reporter.js'
import {typedConfirmation} from '../ui/typed-confirmation.js'
import {yesFlag} from '../cli/flags.js'

export default class Destroy extends FintechCommand {
  static summary = 'Tear down stages of a non-production env, last stage first.'

  static description = `Refused for protected envs, and for a stage while a later stage is still deployed. Stateful resources survive only through their DeletionPolicy (Retain or Snapshot); destroy stops when one would be deleted, unless --allow-data-loss. Asks for the env name to be typed on a terminal; --yes elsewhere.`

  static examples = ['<%= config.bin %> destroy --stage all --env dev', '<%= config.bin %> destroy --stage compute --env test --yes']

  static flags = {
    stage: Flags.string({description: 'stage to destroy, or "all"', required: true}),
    env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
    'dry-run': Flags.boolean({default: false, description: 'list what would be deleted and kept; change nothing'}),
    yes: yesFlag('skip the typed confirmation'),
    'allow-data-loss': Flags.boolean({default: false, description: 'delete stateful resources that have no Retain or Snapshot DeletionPolicy'}),
  }

  async run(): Promise<{env: string; dryRun: boolean; stacks: DestroyStackResult[]}> {
    const {flags} = await this.parse(Destroy)
    const loaded = this.readConfig(flags.config)
    const env = selectEnvironment(loaded.config, flags.env)
    if (env.protected) throw new InputError(`${flags.env} is a protected environment: fintech never destroys it`)
    const selected = selectStages(loaded.config, flags.stage)
    const plan = planEnvironment(loaded, flags.env, selected)

    const target = this.awsTarget(loaded, flags.env, flags)
    const session = await openGuardedSession(loaded, flags.env, target)
    const stacksIn = await (await import('../cli/stack-regions.js')).stackApisByRegion(env, target)

    const laterStages = loaded.config.stages.slice(loaded.config.stages.indexOf(selected.at(-1)!) + 1)
    const laterStacks = laterStages.flatMap((stage) =>
      stacksFor(stage, flags.env).map((stack) => ({name: stackNameOf(loaded.config, flags.env, stage, stack), region: stackRegionOf(env, stack)})),
    )
    const stillDeployed = (await Promise.all(laterStacks.map(async ({name, region}) => ((await stacksIn(region).describeStack(name)) ? name : undefined)))).filter(Boolean)
    if (stillDeployed.length > 0) {
      throw new InputError(`later stages are still deployed in ${flags.env}: ${stillDeployed.join(', ')}`, 'destroy them first, or use --stage all')
    }

    const targets = await destroyTargets(stacksIn, destroyOrder(plan.stages))
    assertNoDataLoss(targets, flags['allow-data-loss'])
    if (targets.some((entry) => entry.globalClusters.length > 0)) {
      const {createGlobalClusterReader} = await import('../aws/rds.js')
      await assertGlobalClustersDetached(targets, async (region, identifier) =>
        (await createGlobalClusterReader({...target, region: region === env.region ? target.region : region})).describeGlobalCluster(identifier),
      )
    }

    if (!flags['dry-run'] && !flags.yes) {
      if (!process.stdin.isTTY) throw new InputError('destroy needs confirmation and there is no terminal to ask: re-run with --yes')
      const names = targets.filter((entry) => entry.stack).map((entry) => (entry.job.region === env.region ? entry.job.stackName : `${entry.job.stackName} (${entry.job.region})`)).join(', ')
      if (!(await typedConfirmation(`This deletes ${names} in ${flags.env}.`, flags.env, process.stdin, process.stderr))) {
        throw new InputError('not confirmed; nothing was deleted')
      }
    }

    const reporter = await createReporter({stderr: process.stderr, json: this.jsonEnabled()})
    let stacks: DestroyStackResult[]
    let interrupted = false
    try {
      stacks = await withInterrupt(async ({signal}) => {
        const results = await runDestroy(targets, {stacksIn, reporter, audit: session.audit, clock: systemClock, signal, envName: flags.env, dryRun: flags['dry-run'], polling: loaded.config.polling})
        interrupted = signal.aborted
        return results
      })
    } finally {
      await reporter.close()
    }

    const table = new Table({head: ['Stack', 'Region', 'Outcome', 'Kept (DeletionPolicy)', 'Detail'], style: {head: [], border: [], compact: true}})
    for (const stack of stacks) table.push([stack.stackName, stack.region, stack.outcome, stack.kept.join('\n'), stack.rootCause ? `${stack.rootCause.logicalId}: ${stack.rootCause.reason}` : stack.detail ?? ''])
    const outcomes = stacks.map((stack) => stack.outcome)
    const exitCode = interrupted || outcomes.includes('interrupted')
      ? ExitCode.interrupted
      : outcomes.includes('failed')
        ? outcomes.includes('deleted') ? ExitCode.partial : ExitCode.failed
        : ExitCode.ok
    return this.deliver({
      text: `${flags['dry-run'] ? 'Dry run of destroy' : 'Destroy'} in ${flags.env}:\n${table.toString()}`,
      exitCode,
      result: {env: flags.env, dryRun: flags['dry-run'], stacks},
    })
  }
}
