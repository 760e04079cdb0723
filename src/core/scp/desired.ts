import {existsSync} from 'node:fs'
import {normalize} from 'node:path'
import type {LoadedConfig} from '../config/load.js'
import {readTextFile} from '../config/load.js'
import type {FintechConfig} from '../config/schema.js'
import {FileError, InputError} from '../errors.js'
import {resolvePath} from '../stages/plan.js'
import type {KeyPath} from '../yaml.js'
import {parsePolicySource, readPolicyDocument, type PolicyDocument, type PolicyProblem, type PolicySource} from './document.js'
import {tagPolicyDocument} from './tag-policy.js'

export const SCP = 'SERVICE_CONTROL_POLICY'
export const TAG_POLICY = 'TAG_POLICY'
export type PolicyType = typeof SCP | typeof TAG_POLICY

/** The env that is the Organizations management account: SCPs never restrict it, and fintech scp runs as it. */
export const MANAGEMENT_ENV = 'management'

/** The tag that marks a policy fintech created; one with it that the config no longer lists is removed. */
export const MANAGED_TAG = {key: 'fintech:managed', value: 'true'} as const

/**
 * AWS's own SCP, attached to the root, every OU and every account unless someone removed it.
 * fintech never attaches, detaches or changes it; it counts towards each target's limit.
 */
export const FULL_AWS_ACCESS = {
  id: 'p-FullAWSAccess',
  name: 'FullAWSAccess',
  document: {version: '2012-10-17', statements: [{index: 0, effect: 'Allow', action: ['*'], resource: ['*'], conditions: []}]} as PolicyDocument,
}

export type TargetSpec = {kind: 'root'} | {kind: 'ou'; name: string} | {kind: 'account'; account: string; env?: string}

/** A target of the config (`root`, `ou:Prod`, `account:prod`, `account:123456789012`), with the env an account belongs to. */
export function parseTargetSpec(text: string, config: Pick<FintechConfig, 'environments'>): TargetSpec {
  if (text === 'root') return {kind: 'root'}
  if (text.startsWith('ou:')) return {kind: 'ou', name: text.slice(3)}
  const account = text.slice('account:'.length)
  if (/^\d{12}$/.test(account)) {
    const env = Object.entries(config.environments).find(([, candidate]) => candidate.account === account)?.[0]
    return {kind: 'account', account, ...(env ? {env} : {})}
  }
  const env = config.environments[account]
  if (!env) throw new InputError(`no environment is called "${account}" (${text})`)
  return {kind: 'account', account: env.account, env: account}
}

/** One key per target whichever way the config names it (an account by env or by id). */
export const targetKey = (spec: TargetSpec): string => (spec.kind === 'root' ? 'root' : spec.kind === 'ou' ? `ou:${spec.name}` : `account:${spec.account}`)

export const targetLabel = (spec: TargetSpec): string =>
  spec.kind === 'account' ? `account:${spec.env ? `${spec.env} (${spec.account})` : spec.account}` : targetKey(spec)

export interface DesiredTarget {
  spec: TargetSpec
  /** Where the config names it, for messages. */
  configPath: KeyPath
}

export interface DesiredPolicy {
  name: string
  type: PolicyType
  description: string
  /** The policy file, relative to the config (SCPs); the tag policy is generated. */
  file?: string
  source?: PolicySource
  /** The parsed SCP; the tag policy has none. */
  document?: PolicyDocument
  /** What is uploaded: the minified JSON. */
  content: string
  targets: DesiredTarget[]
  configPath: KeyPath
}

/** An SCP of the config as read from disk: its source, or why it could not be read. */
export interface GuardrailFile {
  name: string
  description: string
  file: string
  configPath: KeyPath
  targets: DesiredTarget[]
  source?: PolicySource
  document?: PolicyDocument
  problems: PolicyProblem[]
  /** Missing or unreadable file, or JSON that does not parse. */
  error?: FileError
}

const targetsOf = (texts: string[], config: FintechConfig, at: KeyPath): DesiredTarget[] =>
  texts.map((text, index) => ({spec: parseTargetSpec(text, config), configPath: [...at, 'targets', index]}))

/** Reads every SCP file the config names; file problems are returned, not thrown. */
export function readGuardrailFiles(loaded: LoadedConfig): GuardrailFile[] {
  return loaded.config.guardrails.scps.map((policy, index) => {
    const configPath: KeyPath = ['guardrails', 'scps', index]
    const file = normalize(policy.file)
    const base = {name: policy.name, description: policy.description, file, configPath, targets: targetsOf(policy.targets, loaded.config, configPath), problems: []}
    const path = resolvePath(loaded.root, policy.file)
    if (!existsSync(path)) {
      const line = loaded.lineOf([...configPath, 'file'])
      return {...base, error: new FileError(loaded.file, `policy file ${policy.file} of ${policy.name} not found`, line, `guardrails.scps[${index}].file`)}
    }
    try {
      const source = parsePolicySource(readTextFile(path, 'policy file'), file)
      const {document, problems} = readPolicyDocument(source.value)
      return {...base, source, document, problems}
    } catch (error) {
      if (error instanceof FileError) return {...base, error}
      if (error instanceof InputError) return {...base, error: new FileError(file, error.message)}
      throw error
    }
  })
}

/** The generated tag policy, when the config declares one. */
export function desiredTagPolicy(config: FintechConfig): DesiredPolicy | undefined {
  const tagPolicy = config.guardrails.tagPolicy
  if (!tagPolicy) return undefined
  const configPath: KeyPath = ['guardrails', 'tagPolicy']
  return {
    name: tagPolicy.name,
    type: TAG_POLICY,
    description: tagPolicy.description,
    content: JSON.stringify(tagPolicyDocument(config)),
    targets: targetsOf(tagPolicy.targets, config, configPath),
    configPath,
  }
}

/** A guardrail file that parsed as a policy, as the desired state carries it. */
export const scpOf = (read: GuardrailFile & {source: PolicySource; document: PolicyDocument}): DesiredPolicy => ({
  name: read.name,
  type: SCP,
  description: read.description,
  file: read.file,
  source: read.source,
  document: read.document,
  content: read.source.minified,
  targets: read.targets,
  configPath: read.configPath,
})

/**
 * What the config wants in the organization: its SCPs and the tag policy. Any policy that cannot
 * be read or is not valid SCP grammar is bad input: nothing reaches AWS until every file is right.
 */
export function desiredPolicies(loaded: LoadedConfig): DesiredPolicy[] {
  const policies: DesiredPolicy[] = readGuardrailFiles(loaded).map((read) => {
    if (read.error) throw read.error
    const problem = read.problems[0]
    if (problem || !read.source || !read.document) {
      const position = read.source?.positionOf(problem?.path ?? [])
      throw new FileError(read.file, `${problem?.message ?? 'not a policy'} (fintech scp validate lists every problem)`, position?.line)
    }
    return scpOf({...read, source: read.source, document: read.document})
  })
  const tagPolicy = desiredTagPolicy(loaded.config)
  return tagPolicy ? [...policies, tagPolicy] : policies
}
