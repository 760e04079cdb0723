import type {Template} from '../template/parse.js'

export type Severity = 'error' | 'warning'

/** One problem at one place; `fintech validate` prints it as `file:line:col rule-id message`. */
export interface Finding {
  file: string
  line: number
  column: number
  ruleId: string
  severity: Severity
  message: string
  /** The logical id of the resource the finding is about, which is where a suppression lives. */
  resource?: string
  source: 'fintech' | 'cfn-lint'
}

export interface RuleInfo {
  id: string
  severity: Severity
  title: string
  /** One line: why the rule exists. Shown by `fintech validate --rules` and in the README. */
  rationale: string
}

/** An environment that deploys a template, with the parameter values it would send. */
export interface TemplateEnvironment {
  name: string
  protected: boolean
  parameters: Record<string, string>
}

export interface TemplateRuleContext {
  template: Template
  /** Every env whose stages deploy this template; empty for a template the config does not use. */
  environments: TemplateEnvironment[]
}

export interface TemplateRule extends RuleInfo {
  check(context: TemplateRuleContext): Finding[]
}

/** A finding at a path of the template, positioned at that path's key. */
export function findingAt(
  rule: RuleInfo,
  template: Template,
  path: ReadonlyArray<string | number>,
  message: string,
  resource?: string,
): Finding {
  const position = template.positionOf(path) ?? {line: 1, column: 1}
  return {file: template.file, line: position.line, column: position.column, ruleId: rule.id, severity: rule.severity, message, resource, source: 'fintech'}
}
