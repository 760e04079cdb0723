import type {FintechConfig} from '../config/schema.js'
import {InputError} from '../errors.js'
import {FULL_AWS_ACCESS, MANAGEMENT_ENV, SCP, parseTargetSpec, targetKey, targetLabel, type DesiredPolicy, type TargetSpec} from './desired.js'
import {evaluateChain, type ChainLevel, type LevelResult, type StatementMatcher, type StatementRef} from './evaluate.js'
import {buildRequest, parseContextPairs, parsePrincipal} from './request.js'

/** OU names the config knows: the envs' OUs and the OU targets of the guardrails. */
export function knownOus(config: FintechConfig): string[] {
  const targets = [...config.guardrails.scps.flatMap((policy) => policy.targets), ...(config.guardrails.tagPolicy?.targets ?? [])]
  const names = [
    ...Object.values(config.environments).flatMap((env) => (env.ou ? [env.ou] : [])),
    ...targets.filter((target) => target.startsWith('ou:')).map((target) => target.slice(3)),
  ]
  return [...new Set(names)]
}

/** --target as a user types it: root, ou:Prod, Prod (an OU name), account:prod, prod (an env), account:333333333333. */
export function resolveSimulationTarget(config: FintechConfig, text: string): TargetSpec {
  const ous = knownOus(config)
  const options = `root, ${[...ous.map((name) => `ou:${name}`), ...Object.keys(config.environments).map((env) => `account:${env}`)].join(', ')} or account:<12-digit id>`
  if (text === 'root') return {kind: 'root'}
  if (text.startsWith('ou:')) {
    const name = text.slice(3)
    if (!ous.includes(name)) throw new InputError(`--target ${text}: the config knows no OU called ${name}; use one of ${options}`)
    return {kind: 'ou', name}
  }
  if (text.startsWith('account:')) {
    if (!/^account:([a-z][a-z0-9-]*|\d{12})$/.test(text)) throw new InputError(`--target ${text}: write account:<env name> or account:<12-digit id>`)
    try {
      return parseTargetSpec(text, config)
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`--target ${text}: ${error.message}; use one of ${options}`)
      throw error
    }
  }
  if (ous.includes(text)) return {kind: 'ou', name: text}
  if (config.environments[text]) return parseTargetSpec(`account:${text}`, config)
  throw new InputError(`--target ${text}: not an OU or an environment of the config; use one of ${options}`)
}

/** The SCPs at a target: FullAWSAccess (which stays attached) and the config's SCPs that target it. */
export function policiesAt(spec: TargetSpec, policies: DesiredPolicy[]): ChainLevel {
  const key = targetKey(spec)
  const attached = policies.filter((policy) => policy.type === SCP && policy.document && policy.targets.some((target) => targetKey(target.spec) === key))
  return {target: targetLabel(spec), policies: [FULL_AWS_ACCESS, ...attached.map((policy) => ({name: policy.name, document: policy.document!}))]}
}

/**
 * The chain of SCPs from the root down to a target as the config describes it: root, the env's OU
 * (taken to sit directly under the root), the account. Offline: no lookup of the real tree.
 */
export function offlineChain(config: FintechConfig, policies: DesiredPolicy[], spec: TargetSpec): {levels: ChainLevel[]; notes: string[]} {
  const at = (level: TargetSpec) => policiesAt(level, policies)
  if (spec.kind === 'root') return {levels: [at(spec)], notes: []}
  if (spec.kind === 'ou') return {levels: [at({kind: 'root'}), at(spec)], notes: []}
  const env = spec.env ? config.environments[spec.env] : undefined
  const notes = env ? [] : [`account ${spec.account} is in no env of the config: its OU, and the policies there, are unknown offline`]
  return {levels: [at({kind: 'root'}), ...(env?.ou ? [at({kind: 'ou', name: env.ou})] : []), at(spec)], notes}
}

export interface SimulateOptions {
  target: string
  action: string
  principal?: string
  resource?: string
  region?: string
  context?: readonly string[]
}

export interface SimulationResult {
  decision: 'allowed' | 'denied'
  /** not-restricted: SCPs do not apply (the management account, a service-linked role). */
  reason: 'explicit-deny' | 'no-allow' | 'allowed' | 'not-restricted'
  target: string
  request: {action: string; principal: string; principalArn: string; resource: string | null; region: string; context: Record<string, string[]>}
  chain: LevelResult[]
  deniedBy?: StatementRef
  allowedBy: StatementRef[]
  notes: string[]
}

/** An account to put the default principal in, and a region to ask for, for a target. */
function defaultsFor(config: FintechConfig, spec: TargetSpec): {account?: string; region?: string} {
  const envs = Object.entries(config.environments)
  const env =
    spec.kind === 'account'
      ? envs.find(([, candidate]) => candidate.account === spec.account)
      : spec.kind === 'ou'
        ? envs.find(([, candidate]) => candidate.ou === spec.name)
        : envs.find(([name]) => name !== MANAGEMENT_ENV)
  return {account: spec.kind === 'account' ? spec.account : env?.[1].account, region: env?.[1].region}
}

/** `fintech scp simulate`: one request against the config's guardrails, offline. */
export function simulateOffline(matcher: StatementMatcher, config: FintechConfig, policies: DesiredPolicy[], options: SimulateOptions): SimulationResult {
  const spec = resolveSimulationTarget(config, options.target)
  const defaults = defaultsFor(config, spec)
  const notes: string[] = []
  const account = defaults.account ?? '000000000000'
  if (!options.principal) {
    notes.push(`no --principal: a role of account ${account} that no guardrail exempts${defaults.account ? '' : ' (no account of the config is in this target)'}`)
  }
  const principal = parsePrincipal(options.principal ?? `arn:aws:iam::${account}:role/simulated-principal`)
  const region = options.region ?? defaults.region ?? 'us-east-1'
  if (!options.resource) notes.push('no --resource: statements scoped to resources are taken to match')
  const context = parseContextPairs(options.context ?? [])
  const request = buildRequest({action: options.action, principal, resource: options.resource, region, context})
  const chain = offlineChain(config, policies, spec)
  notes.push(...chain.notes)
  const decision = evaluateChain(matcher, chain.levels, request)
  const management = config.environments[MANAGEMENT_ENV]
  const unrestricted =
    spec.kind === 'account' && management?.account === spec.account
      ? 'SCPs do not restrict the management account: whatever they say, its users and roles are not limited'
      : principal.serviceLinked
        ? 'SCPs do not restrict service-linked roles'
        : undefined
  if (unrestricted) notes.push(unrestricted)
  return {
    decision: unrestricted ? 'allowed' : decision.decision,
    reason: unrestricted ? 'not-restricted' : decision.reason,
    target: targetLabel(spec),
    request: {
      action: options.action,
      principal: principal.arn,
      principalArn: principal.principalArn,
      resource: options.resource ?? null,
      region,
      context: Object.fromEntries([...request.context].map(([key, values]) => [key, [...values]])),
    },
    chain: decision.levels,
    ...(decision.deniedBy && !unrestricted ? {deniedBy: decision.deniedBy} : {}),
    allowedBy: decision.allowedBy,
    notes,
  }
}
