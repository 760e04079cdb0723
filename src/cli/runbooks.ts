import {writeFileSync} from 'node:fs'
import {stringify} from 'yaml'
import type {LoadedConfig} from '../core/config/load.js'
import {ExitCode, InputError} from '../core/errors.js'
import {apiProblems, reachedRunbooks} from '../core/runbook/api-check.js'
import {findRunbook, loadRunbooks, type RunbookProblem, type RunbookSet} from '../core/runbook/load.js'
import type {Runbook} from '../core/runbook/schema.js'
import {exportSsm, type SsmDocument, type Unmappable} from '../core/runbook/ssm.js'
import {problemLines, renderRunbook, renderRunbookList, renderUnmappable} from '../ui/runbook.js'
import type {CommandIO, Outcome} from './command-io.js'

export type {Runbook} from '../core/runbook/schema.js'

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

export interface RunbookListOutput {
  runbooks: Array<{name: string; title: string; severity: string; envs: string[]; file: string}>
  problems: RunbookProblem[]
}

/** `fintech runbook list`: every runbook of the project, and the files that do not load. */
export function runbookListCommand(loaded: LoadedConfig): Outcome<RunbookListOutput> {
  const set = projectRunbooks(loaded)
  const runbooks = [...set.runbooks.values()]
  return {
    text: renderRunbookList(runbooks, set.problems),
    exitCode: ExitCode.ok,
    result: {runbooks: runbooks.map(({name, title, severity, envs, file}) => ({name, title, severity, envs, file})), problems: set.problems},
  }
}

/** `fintech runbook show`: one runbook as an engineer reads it, refused when a run of it would fail. */
export async function runbookShowCommand(loaded: LoadedConfig, name: string): Promise<Outcome<Runbook>> {
  const set = projectRunbooks(loaded)
  const runbook = findRunbook(set, name)
  const problems = await problemsOfRun(set, runbook)
  if (problems.length > 0) throw new InputError(`runbook ${runbook.name} would fail:\n${problemLines(problems).map((line) => `  ${line}`).join('\n')}`, 'fintech validate lists every finding')
  return {text: renderRunbook(runbook), exitCode: ExitCode.ok, result: runbook}
}

export interface RunbookExportOutput {
  runbook: string
  format: 'ssm'
  document?: SsmDocument
  unmappable: Unmappable[]
  output?: string
}

/** `fintech runbook export`: the runbook as an SSM Automation document, on stdout or in a file. */
export function runbookExportCommand(loaded: LoadedConfig, name: string, flags: {output?: string}, io: CommandIO): Outcome<RunbookExportOutput> {
  const runbook = findRunbook(projectRunbooks(loaded), name)
  const exported = exportSsm(runbook)
  const result: RunbookExportOutput = {runbook: runbook.name, format: 'ssm', ...exported}
  if (!exported.document) {
    // The refusal is a diagnostic: stdout stays for the document, so a redirect never holds a refusal as if it were one.
    if (!io.json) io.note(renderUnmappable(runbook.name, exported.unmappable))
    return {exitCode: ExitCode.failed, result}
  }
  const text = JSON.stringify(exported.document, null, 2)
  if (!flags.output) return {text, exitCode: ExitCode.ok, result}
  try {
    writeFileSync(flags.output, /\.ya?ml$/.test(flags.output) ? stringify(exported.document, {lineWidth: 0}) : `${text}\n`)
  } catch (error) {
    throw new InputError(`cannot write ${flags.output}: ${(error as Error).message}`)
  }
  return {text: `wrote ${flags.output}: SSM Automation document fintech-${runbook.name}, ${exported.document.mainSteps.length} steps`, exitCode: ExitCode.ok, result: {...result, output: flags.output}}
}
