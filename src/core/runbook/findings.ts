import type {Finding, RuleInfo} from '../validate/finding.js'
import type {ProblemKind, RunbookProblem} from './load.js'

export const RUNBOOK_RULES: Record<ProblemKind, RuleInfo> = {
  parse: {id: 'FT-RUNBOOK-001', severity: 'error', title: 'Runbook file does not parse', rationale: 'A runbook that is not valid YAML cannot be shown, run or exported; the line says where it breaks.'},
  schema: {id: 'FT-RUNBOOK-002', severity: 'error', title: 'Not a valid runbook', rationale: 'Unknown step kinds, missing or misspelt fields and duplicate step names would only surface mid-incident, when the step is reached.'},
  reference: {id: 'FT-RUNBOOK-003', severity: 'error', title: 'Runbook reference to nothing', rationale: 'A {{ params }} or {{ steps…outputs }} reference, an onFailure step, a called runbook or an env that does not exist (or a step output used before it is produced, or runbooks calling each other in a circle) stops a run halfway.'},
  api: {id: 'FT-RUNBOOK-004', severity: 'error', title: 'Runbook calls what the AWS SDK does not have', rationale: 'A misspelt service, API or parameter name (rds:DescribeDBClusterz, DBClusterIdentifer) fails only when the step is reached, after the credentials, often after the change; the SDK\'s own models catch it offline.'},
  splice: {id: 'FT-RUNBOOK-005', severity: 'warning', title: 'Value written into a shell command', rationale: 'A {{ }} reference inside a shell command is a value that only an environment variable can carry safely (the engine makes it one, but single quotes or a quoted here-document then keep it literal); write it in the step\'s env and read "$NAME".'},
}

/** The runbook problems and warnings as `fintech validate` findings. */
export const runbookFindings = (problems: RunbookProblem[]): Finding[] =>
  problems.map((problem) => ({file: problem.file, line: problem.line, column: 1, ruleId: RUNBOOK_RULES[problem.kind].id, severity: RUNBOOK_RULES[problem.kind].severity, message: problem.message, source: 'fintech'}))
