import Table from 'cli-table3'
import {resolveEnv, type TargetFlags} from '../core/config/env.js'
import type {LoadedConfig} from '../core/config/load.js'
import {systemClock} from '../core/clock.js'
import {assertGlobalClustersDetached, assertNoDataLoss, destroyOrder, destroyTargets, runDestroy, type DestroyStackResult} from '../core/destroy/run-destroy.js'
import {ExitCode, InputError} from '../core/errors.js'
import {planEnvironment} from '../core/stages/plan.js'
import {selectStages, stackNameOf, stackRegionOf, stacksFor} from '../core/stages/select.js'
import {confirmByTyping, createReporter} from '../ui/terminal.js'
import {openGuardedSession, withInterrupt} from './aws-session.js'
import type {CommandIO, Outcome} from './command-io.js'

export interface DestroyResult {
  env: string
  dryRun: boolean
  stacks: DestroyStackResult[]
}

/** `fintech destroy`: the stages of a non-production env, last stage first, each stack in its own region. */
export async function destroyCommand(
  loaded: LoadedConfig,
  flags: TargetFlags & {stage: string; env: string; 'dry-run': boolean; yes: boolean; 'allow-data-loss': boolean},
  io: CommandIO,
): Promise<Outcome<DestroyResult>> {
  const resolved = resolveEnv(loaded, flags.env, flags)
  const env = resolved.config
  if (resolved.protected) throw new InputError(`${flags.env} is a protected environment: fintech never destroys it`)
  const selected = selectStages(loaded.config, flags.stage)
  const plan = planEnvironment(loaded, resolved, selected)

  const {target} = resolved
  const session = await openGuardedSession(loaded, resolved, target)
  const stacksIn = await (await import('./stack-regions.js')).stackApisByRegion(env, target)

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

  if (!flags['dry-run']) {
    const names = targets.filter((entry) => entry.stack).map((entry) => (entry.job.region === env.region ? entry.job.stackName : `${entry.job.stackName} (${entry.job.region})`)).join(', ')
    await confirmByTyping({command: 'destroy', yes: flags.yes, dryRun: true, prompt: `This deletes ${names} in ${flags.env}.`, expected: flags.env, refused: 'not confirmed; nothing was deleted'})
  }

  const reporter = await createReporter({stderr: process.stderr, json: io.json})
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
  return {
    text: `${flags['dry-run'] ? 'Dry run of destroy' : 'Destroy'} in ${flags.env}:\n${table.toString()}`,
    exitCode,
    result: {env: flags.env, dryRun: flags['dry-run'], stacks},
  }
}
