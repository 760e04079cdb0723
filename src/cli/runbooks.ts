import type {LoadedConfig} from '../core/config/load.js'
import {apiProblems, reachedRunbooks} from '../core/runbook/api-check.js'
import {loadRunbooks, type RunbookProblem, type RunbookSet} from '../core/runbook/load.js'
import type {Runbook} from '../core/runbook/schema.js'

/** The project's runbooks: runbooks/ next to the config file, envs and stacks checked against the config. */
export const projectRunbooks = (loaded: LoadedConfig): RunbookSet => loadRunbooks(loaded.root, Object.keys(loaded.config.environments), loaded.config.stages.flatMap((stage) => stage.stacks.map((stack) => stack.id)))

/** The runbooks' API steps checked against the AWS SDK's models, offline; the SDK packages load only here. */
export async function runbookApiProblems(set: RunbookSet, names?: Iterable<string>): Promise<RunbookProblem[]> {
  const {sdkApiModels} = await import('../aws/api-models.js')
  return apiProblems(set, sdkApiModels(), names)
}

/**
 * Everything that would stop a run of the runbook before or during its steps: the problems of
 * its file and of the runbooks it calls, and the API names the SDK does not have in them.
 */
export async function problemsOfRun(set: RunbookSet, runbook: Runbook): Promise<RunbookProblem[]> {
  const reached = reachedRunbooks(set, runbook)
  const files = new Set([...reached].map((name) => set.runbooks.get(name)!.file))
  return [...set.problems.filter((problem) => files.has(problem.file)), ...(await runbookApiProblems(set, reached))]
}
