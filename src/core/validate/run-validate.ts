import {readdirSync} from 'node:fs'
import {join, normalize} from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import {FileError} from '../errors.js'
import {loadParameterFile, readAtConfigLine} from '../stages/plan.js'
import {parseTemplate, type Template} from '../template/parse.js'
import {readProjectFile, RefusedFileError} from '../template/read.js'
import type {KeyPath} from '../yaml.js'
import {BUILTIN_RULES, builtinFindings} from './builtin-rules.js'
import {CONTRACT_RULES, checkContracts, type ParameterFile} from './contracts.js'
import type {Finding, RuleInfo, TemplateRule} from './finding.js'
import type {ResourceSpec} from './resource-spec.js'

export const PARSE_RULE: RuleInfo = {id: 'FT-YAML-001', severity: 'error', title: 'File does not parse', rationale: 'Nothing else can be checked in a file that is not valid YAML or JSON.'}

/** Folders under templates/ that hold other files than CloudFormation templates (SCPs are checked by src/core/scp/checks.ts). */
const NOT_TEMPLATES = new Set(['params', 'scp'])

export interface ValidateInput {
  loaded: LoadedConfig
  spec: ResourceSpec
  securityRules: TemplateRule[]
  applySuppressions(findings: Finding[], templates: Template[]): Finding[]
  /** The template files, when the caller listed them already with projectTemplates (validate hands them to cfn-lint first). */
  templates?: string[]
}

export interface ValidateResult {
  findings: Finding[]
  /** The files checked, relative to the config's folder. */
  templates: string[]
  parameterFiles: string[]
}

/** Where the config names each template it deploys (the first place, when several stacks share one). */
function configuredTemplates(loaded: LoadedConfig): Map<string, KeyPath> {
  const named = new Map<string, KeyPath>()
  loaded.config.stages.forEach((stage, stageIndex) =>
    stage.stacks.forEach((stack, stackIndex) => {
      const file = normalize(stack.template)
      if (!named.has(file)) named.set(file, ['stages', stageIndex, 'stacks', stackIndex, 'template'])
    }),
  )
  return named
}

/** Template files: the ones the config deploys, and any other YAML or JSON under templates/, relative to the config's folder. */
export function projectTemplates(loaded: LoadedConfig): string[] {
  const files = new Set(configuredTemplates(loaded).keys())
  const walk = (dir: string) => {
    let entries
    try {
      entries = readdirSync(join(loaded.root, dir), {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory() && !(dir === 'templates' && NOT_TEMPLATES.has(entry.name))) walk(path)
      else if (entry.isFile() && /\.(ya?ml|json|template)$/.test(entry.name)) files.add(path)
    }
  }
  walk('templates')
  return [...files].sort()
}

export const parseFinding = (error: FileError): Finding => ({
  file: error.file,
  line: error.line ?? 1,
  column: 1,
  ruleId: PARSE_RULE.id,
  severity: 'error',
  message: error.detail,
  source: 'fintech',
})

/**
 * Every check of `fintech validate` that needs no Python: templates against the resource
 * specification and the security rules, and the stage contracts of every env. Offline.
 * A file that is not read at all (outside the project, not a regular file, too large) is
 * not a finding: it throws, as for every other command.
 */
export function validateProject({loaded, spec, securityRules, applySuppressions, templates: listed}: ValidateInput): ValidateResult {
  const findings: Finding[] = []
  const templates = new Map<string, Template>()
  const configured = configuredTemplates(loaded)
  const files = listed ?? projectTemplates(loaded)
  for (const file of files) {
    const read = () => readProjectFile(loaded.root, file, 'template')
    const keyPath = configured.get(file)
    try {
      templates.set(file, parseTemplate(keyPath ? readAtConfigLine(loaded, keyPath, read) : read(), file))
    } catch (error) {
      if (!(error instanceof FileError) || error instanceof RefusedFileError) throw error
      findings.push(parseFinding(error))
    }
  }

  const parameterFiles = new Map<string, ParameterFile | 'unreadable'>()
  const contracts = checkContracts({
    loaded,
    templateOf: (path) => templates.get(normalize(path)),
    parameterFile: (envName, env) => {
      const path = env.parameterFile
      if (!path) return undefined
      const key = normalize(path)
      // Parsed once even when several envs share the file, so a broken file is reported once.
      if (!parameterFiles.has(key)) {
        try {
          const file = readAtConfigLine(loaded, ['environments', envName, 'parameterFile'], () => loadParameterFile(loaded.root, path))
          parameterFiles.set(key, {file: key, values: file.values, lineOf: (name) => file.lineOf([name])})
        } catch (error) {
          if (!(error instanceof FileError) || error instanceof RefusedFileError) throw error
          findings.push(parseFinding(error))
          parameterFiles.set(key, 'unreadable')
        }
      }
      return parameterFiles.get(key)
    },
  })
  findings.push(...contracts.findings)

  const templateFindings: Finding[] = []
  for (const [file, template] of templates) {
    templateFindings.push(...builtinFindings(template, spec))
    const context = {template, environments: contracts.environments.get(normalize(file)) ?? []}
    for (const rule of securityRules) templateFindings.push(...rule.check(context))
  }
  findings.push(...applySuppressions(templateFindings, [...templates.values()]))

  return {findings: sortFindings(findings), templates: files, parameterFiles: [...parameterFiles.keys()]}
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId))
}

/** Every rule fintech itself applies, in the order `validate --rules` lists them. */
export function allRules(security: RuleInfo[], suppression: RuleInfo[], guardrails: RuleInfo[] = []): RuleInfo[] {
  return [PARSE_RULE, ...Object.values(BUILTIN_RULES), ...security, ...suppression, ...Object.values(CONTRACT_RULES), ...guardrails].map(({id, severity, title, rationale}) => ({
    id,
    severity,
    title,
    rationale,
  }))
}
