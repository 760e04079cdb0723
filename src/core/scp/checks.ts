import {readdirSync} from 'node:fs'
import {join, normalize} from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import {readTextFile} from '../config/load.js'
import {FileError} from '../errors.js'
import {resolvePath} from '../stages/plan.js'
import type {Finding, RuleInfo} from '../validate/finding.js'
import type {KeyPath} from '../yaml.js'
import type {ActionCatalogue} from './catalogue.js'
import {
  scpOf,
  FULL_AWS_ACCESS,
  MANAGEMENT_ENV,
  SCP,
  TAG_POLICY,
  desiredTagPolicy,
  readGuardrailFiles,
  targetKey,
  targetLabel,
  type DesiredPolicy,
  type DesiredTarget,
  type GuardrailFile,
  type PolicyType,
} from './desired.js'
import {characterCount, parsePolicySource, PolicySyntaxError, readPolicyDocument, statementLabel, statementPath, type PolicyDocument, type PolicySource} from './document.js'
import type {StatementMatcher} from './evaluate.js'
import {breakGlassDenials, denyEverythingStatements, describeDenial, groupDenials} from './guards.js'
import {offlineChain} from './simulate.js'
import {TAG_POLICY_SIZE_LIMIT} from './tag-policy.js'

const rule = (id: string, severity: RuleInfo['severity'], title: string, rationale: string): RuleInfo => ({id, severity, title, rationale})

export const SCP_RULES = {
  parse: rule('FT-SCP-001', 'error', 'Policy file missing or not valid JSON', 'Organizations rejects the upload; the line and column say where the JSON breaks.'),
  grammar: rule('FT-SCP-002', 'error', 'Not a valid SCP', 'Version 2012-10-17, statements with Effect, Action or NotAction, Resource or NotResource, known condition operators, no Principal.'),
  size: rule('FT-SCP-003', 'error', 'Policy over the size limit', 'AWS counts the characters of the stored policy; fintech uploads it minified, so that is the size that counts (guardrails.policySizeLimit).'),
  perTarget: rule('FT-SCP-004', 'error', 'Too many policies at one target', 'A root, OU or account takes at most guardrails.policiesPerTargetLimit SCPs, FullAWSAccess included.'),
  action: rule('FT-SCP-005', 'error', 'Unknown service or action', 'A misspelt action never matches, so a Deny on it protects nothing; names come from the IAM action catalogue.'),
  allowCondition: rule('FT-SCP-006', 'warning', 'Allow statement with a Condition', 'An SCP Allow only sets the ceiling: while FullAWSAccess (or another Allow) sits at the same level, its condition restricts nothing.'),
  notActionDeny: rule('FT-SCP-007', 'warning', 'NotAction Deny without a Condition', 'It denies every action not listed, to everyone, everywhere: usually far more than intended.'),
  sid: rule('FT-SCP-008', 'warning', 'Statement without a Sid', 'simulate, plan and the audit name the statement that decided by its Sid.'),
  sidShape: rule('FT-SCP-009', 'warning', 'Sid repeated or not alphanumeric', 'Sids name statements uniquely; IAM accepts only letters and digits in them.'),
  conditionKey: rule('FT-SCP-010', 'warning', 'Unknown condition key', 'A key no request carries leaves the condition always false (or always true for a negated operator).'),
  denyAll: rule('FT-SCP-011', 'error', 'Policy that denies everything at the root or the management account', 'Evaluated next to FullAWSAccess it refuses an ordinary role every everyday action: attached to the root it locks every account out; scp apply refuses it whatever the flags.'),
  breakGlass: rule('FT-SCP-012', 'error', 'Break-glass role denied an emergency action', 'The role named in guardrails.breakGlassRole must stay able to act in every env; scp apply refuses a plan that denies it.'),
  unused: rule('FT-SCP-013', 'warning', 'Policy file not used by the config', 'A file under templates/scp/ that no guardrails.scps entry names is never applied.'),
} as const

export interface PolicySummary {
  name: string
  type: PolicyType
  file?: string
  statements?: number
  characters: {asWritten?: number; minified: number; limit: number}
  targets: string[]
}

export interface TargetCount {
  target: string
  /** SCPs at the target after `scp apply`, FullAWSAccess included. */
  scps: number
  tagPolicies: number
  limit: number
}

export interface GuardrailValidation {
  findings: Finding[]
  /** Files checked, relative to the config's folder: the policy files, and the config for the tag policy. */
  files: string[]
  policies: PolicySummary[]
  targets: TargetCount[]
}

const SCP_FOLDER = 'templates/scp'

function unreferencedFiles(loaded: LoadedConfig, referenced: Set<string>): string[] {
  try {
    return readdirSync(join(loaded.root, SCP_FOLDER))
      .filter((name) => name.endsWith('.json'))
      .map((name) => normalize(join(SCP_FOLDER, name)))
      .filter((file) => !referenced.has(file))
      .sort()
  } catch {
    return []
  }
}

const rawStatement = (source: PolicySource, index: number): Record<string, unknown> => {
  const statements = (source.value as {Statement?: unknown}).Statement
  return ((Array.isArray(statements) ? statements[index] : statements) ?? {}) as Record<string, unknown>
}

/**
 * The SCP half of `fintech validate` and all of `fintech scp validate`: every policy file of the
 * config and under templates/scp/, the generated tag policy, the per-target counts and the
 * break-glass role's emergency actions against the config's chains. Offline.
 */
export async function validateGuardrails(loaded: LoadedConfig, catalogue: ActionCatalogue, matcher: StatementMatcher): Promise<GuardrailValidation> {
  const {config} = loaded
  const limit = config.guardrails.policySizeLimit
  const findings: Finding[] = []
  const inConfig = (ruleInfo: RuleInfo, path: KeyPath, message: string): Finding => ({
    file: loaded.file,
    line: loaded.lineOf(path) ?? 1,
    column: 1,
    ruleId: ruleInfo.id,
    severity: ruleInfo.severity,
    message,
    source: 'fintech',
  })
  const inFile = (ruleInfo: RuleInfo, source: Pick<PolicySource, 'file' | 'positionOf'>, path: KeyPath, message: string): Finding => {
    const position = source.positionOf(path) ?? {line: 1, column: 1}
    return {file: source.file, line: position.line, column: position.column, ruleId: ruleInfo.id, severity: ruleInfo.severity, message, source: 'fintech'}
  }

  const reads = readGuardrailFiles(loaded)
  const extra = unreferencedFiles(loaded, new Set(reads.map((read) => read.file))).map((file): GuardrailFile => {
    const base = {name: '', description: '', file, configPath: [], targets: [], problems: []}
    try {
      const source = parsePolicySource(readTextFile(resolvePath(loaded.root, file), 'policy file'), file)
      return {...base, source, ...readPolicyDocument(source.value)}
    } catch (error) {
      if (error instanceof FileError) return {...base, error}
      throw error
    }
  })
  for (const read of extra) findings.push({file: read.file, line: 1, column: 1, ruleId: SCP_RULES.unused.id, severity: 'warning', message: `no guardrails.scps entry of ${loaded.file} names ${read.file}`, source: 'fintech'})

  const policies: PolicySummary[] = []
  for (const read of [...reads, ...extra]) {
    if (read.error) {
      const error = read.error
      findings.push({
        file: error.file,
        line: error.line ?? 1,
        column: error instanceof PolicySyntaxError ? error.column : 1,
        ruleId: SCP_RULES.parse.id,
        severity: 'error',
        message: error.detail,
        source: 'fintech',
      })
      continue
    }
    const source = read.source!
    for (const problem of read.problems) findings.push(inFile(SCP_RULES.grammar, source, problem.path, problem.message))
    const minified = characterCount(source.minified)
    const asWritten = characterCount(source.text)
    if (minified > limit) {
      findings.push(inFile(SCP_RULES.size, source, [], `${minified.toLocaleString('en')} characters as AWS counts them (minified; ${asWritten.toLocaleString('en')} as written): over the limit of ${limit.toLocaleString('en')} (guardrails.policySizeLimit)`))
    }
    if (read.document) findings.push(...(await statementFindings(source, read.document, catalogue, inFile)))
    if (read.name) {
      policies.push({name: read.name, type: SCP, file: read.file, statements: read.document?.statements.length, characters: {asWritten, minified, limit}, targets: read.targets.map((target) => targetLabel(target.spec))})
    }
  }

  const tagPolicy = desiredTagPolicy(config)
  if (tagPolicy) {
    const characters = characterCount(tagPolicy.content)
    policies.push({name: tagPolicy.name, type: TAG_POLICY, characters: {minified: characters, limit: TAG_POLICY_SIZE_LIMIT}, targets: tagPolicy.targets.map((target) => targetLabel(target.spec))})
    if (characters > TAG_POLICY_SIZE_LIMIT) {
      findings.push(inConfig(SCP_RULES.size, tagPolicy.configPath, `the tag policy generated from requiredTags and tagging.allowedValues has ${characters.toLocaleString('en')} characters: over AWS's limit of ${TAG_POLICY_SIZE_LIMIT.toLocaleString('en')} for tag policies`))
    }
  }
  config.guardrails.scps.forEach((policy, index) => {
    if (policy.name === FULL_AWS_ACCESS.name) findings.push(inConfig(SCP_RULES.grammar, ['guardrails', 'scps', index, 'name'], 'FullAWSAccess is AWS\'s own policy: fintech leaves it attached everywhere and never manages it'))
    if (tagPolicy && policy.name === tagPolicy.name) findings.push(inConfig(SCP_RULES.grammar, ['guardrails', 'tagPolicy', 'name'], `the tag policy and an SCP are both called ${policy.name}`))
  })

  const targets = targetCounts(loaded, reads, tagPolicy)
  for (const count of targets.counts) {
    for (const kind of ['scps', 'tagPolicies'] as const) {
      const value = count[kind]
      if (value <= count.limit) continue
      const what = kind === 'scps' ? `${value} SCPs (FullAWSAccess and ${value - 1} of the config)` : `${value} tag policies`
      findings.push(inConfig(SCP_RULES.perTarget, count.lastPath[kind], `${count.target} would have ${what}: the limit is ${count.limit} (guardrails.policiesPerTargetLimit)`))
    }
  }

  const parsed = reads.filter((read): read is GuardrailFile & {source: PolicySource; document: PolicyDocument} => !read.error && read.problems.length === 0 && Boolean(read.document))
  const management = config.environments[MANAGEMENT_ENV]
  for (const read of parsed) {
    const atTop = read.targets.some((target) => target.spec.kind === 'root' || (target.spec.kind === 'account' && target.spec.account === management?.account))
    if (!atTop) continue
    for (const statement of denyEverythingStatements(matcher, read.document, Object.values(config.environments))) {
      findings.push(
        inFile(SCP_RULES.denyAll, read.source, statementPath(read.source, statement.index), `${read.name} denies everything (an ordinary role is refused every everyday action tried) and is attached to the root or the management account`),
      )
    }
  }

  const scpPolicies: DesiredPolicy[] = parsed.map(scpOf)
  for (const [envName, env] of Object.entries(config.environments)) {
    if (envName === MANAGEMENT_ENV) continue
    const {levels} = offlineChain(config, scpPolicies, {kind: 'account', account: env.account, env: envName})
    for (const denial of groupDenials(breakGlassDenials(matcher, {env: envName, account: env.account, region: env.region, role: config.guardrails.breakGlassRole, levels}))) {
      const denying = scpPolicies.find((policy) => policy.name === denial.deniedBy.policy)
      const statement = denying?.document?.statements.find((candidate) => statementLabel(candidate) === denial.deniedBy.statement)
      findings.push(
        denying?.source && statement
          ? inFile(SCP_RULES.breakGlass, denying.source, statementPath(denying.source, statement.index), describeDenial(denial))
          : inConfig(SCP_RULES.breakGlass, ['guardrails', 'breakGlassRole'], describeDenial(denial)),
      )
    }
  }

  const files = [...new Set([...reads.map((read) => read.file), ...extra.map((read) => read.file)])]
  return {findings, files, policies, targets: targets.counts.map(({target, scps, tagPolicies, limit: perTarget}) => ({target, scps, tagPolicies, limit: perTarget}))}
}

async function statementFindings(
  source: PolicySource,
  document: PolicyDocument,
  catalogue: ActionCatalogue,
  inFile: (ruleInfo: RuleInfo, source: PolicySource, path: KeyPath, message: string) => Finding,
): Promise<Finding[]> {
  const findings: Finding[] = []
  const sids = new Map<string, number>()
  for (const statement of document.statements) {
    const at = statementPath(source, statement.index)
    const raw = rawStatement(source, statement.index)
    if (statement.sid === undefined) findings.push(inFile(SCP_RULES.sid, source, at, `statement ${statement.index} has no Sid`))
    else if (!/^[A-Za-z0-9]+$/.test(statement.sid)) findings.push(inFile(SCP_RULES.sidShape, source, [...at, 'Sid'], `Sid "${statement.sid}" has characters other than letters and digits`))
    else if (sids.has(statement.sid)) findings.push(inFile(SCP_RULES.sidShape, source, [...at, 'Sid'], `Sid ${statement.sid} is also used by statement ${sids.get(statement.sid)}`))
    if (statement.sid !== undefined && !sids.has(statement.sid)) sids.set(statement.sid, statement.index)

    if (statement.effect === 'Allow' && statement.conditions.length > 0) {
      findings.push(inFile(SCP_RULES.allowCondition, source, [...at, 'Condition'], `${statement.sid ?? `statement ${statement.index}`} allows with a Condition: it restricts nothing while FullAWSAccess or another Allow is attached at the same level; deny the opposite instead`))
    }
    if (statement.effect === 'Deny' && statement.notAction && statement.conditions.length === 0 && statement.resource?.includes('*')) {
      findings.push(inFile(SCP_RULES.notActionDeny, source, [...at, 'NotAction'], `${statement.sid ?? `statement ${statement.index}`} denies every action except ${statement.notAction.length} listed, for every principal, region and resource: narrow it with a Condition or a Resource`))
    }
    for (const element of ['Action', 'NotAction'] as const) {
      const list = element === 'Action' ? statement.action : statement.notAction
      if (!list) continue
      for (const [index, action] of list.entries()) {
        const verdict = await catalogue.checkAction(action)
        if (verdict.known) continue
        const path = Array.isArray(raw[element]) ? [...at, element, index] : [...at, element]
        findings.push(inFile(SCP_RULES.action, source, path, `${verdict.message}${verdict.suggestion ? ` (did you mean ${verdict.suggestion}?)` : ''}`))
      }
    }
    for (const clause of statement.conditions) {
      if (!(await catalogue.knowsConditionKey(clause.key))) {
        findings.push(inFile(SCP_RULES.conditionKey, source, [...at, 'Condition', clause.operator, clause.key], `${clause.key} is not a condition key of the IAM catalogue`))
      }
    }
  }
  return findings
}

interface CountAtTarget extends TargetCount {
  /** The config entries that name the target last, per kind: where an over-limit finding points. */
  lastPath: {scps: KeyPath; tagPolicies: KeyPath}
}

function targetCounts(loaded: LoadedConfig, reads: GuardrailFile[], tagPolicy: DesiredPolicy | undefined): {counts: CountAtTarget[]} {
  const limit = loaded.config.guardrails.policiesPerTargetLimit
  const counts = new Map<string, CountAtTarget>()
  const add = (target: DesiredTarget, kind: 'scps' | 'tagPolicies') => {
    const key = targetKey(target.spec)
    const count = counts.get(key) ?? {target: targetLabel(target.spec), scps: 1, tagPolicies: 0, limit, lastPath: {scps: target.configPath, tagPolicies: target.configPath}}
    count[kind] += 1
    count.lastPath[kind] = target.configPath
    counts.set(key, count)
  }
  for (const read of reads) for (const target of new Map(read.targets.map((target) => [targetKey(target.spec), target])).values()) add(target, 'scps')
  for (const target of tagPolicy?.targets ?? []) add(target, 'tagPolicies')
  return {counts: [...counts.values()]}
}
