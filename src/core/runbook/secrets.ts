import {readsOf} from './references.js'
import type {Runbook, Step, StepOutput} from './schema.js'

/** What a secret value is kept and shown as: in the state file, audit lines, reports, --json. */
export const REDACTED = '[redacted]'

const always = () => true
/** SSM returns a SecureString in clear only when asked to decrypt it. */
const decrypting = (parameters: Record<string, unknown>) => parameters.WithDecryption !== undefined && parameters.WithDecryption !== false && parameters.WithDecryption !== 'false'

/**
 * The calls whose answer carries a secret: a secret's value, a decrypted parameter or key,
 * credentials, an auth token, a private key. By the service's SSM/boto3 name and the API.
 * `reads`: the call changes nothing, so a resume may make it again to get the value back.
 */
const SECRET_CALLS: Record<string, {when: (parameters: Record<string, unknown>) => boolean; reads: boolean}> = {
  'secretsmanager:GetSecretValue': {when: always, reads: true},
  'secretsmanager:BatchGetSecretValue': {when: always, reads: true},
  'secretsmanager:GetRandomPassword': {when: always, reads: true},
  'ssm:GetParameter': {when: decrypting, reads: true},
  'ssm:GetParameters': {when: decrypting, reads: true},
  'ssm:GetParametersByPath': {when: decrypting, reads: true},
  'ssm:GetParameterHistory': {when: decrypting, reads: true},
  'kms:Decrypt': {when: always, reads: true},
  'kms:GenerateDataKey': {when: always, reads: true},
  'kms:GenerateDataKeyPair': {when: always, reads: true},
  'kms:GenerateRandom': {when: always, reads: true},
  'kms:DeriveSharedSecret': {when: always, reads: true},
  'sts:AssumeRole': {when: always, reads: true},
  'sts:AssumeRoleWithSAML': {when: always, reads: true},
  'sts:AssumeRoleWithWebIdentity': {when: always, reads: true},
  'sts:AssumeRoot': {when: always, reads: true},
  'sts:GetSessionToken': {when: always, reads: true},
  'sts:GetFederationToken': {when: always, reads: true},
  'sso:GetRoleCredentials': {when: always, reads: true},
  'cognito-identity:GetCredentialsForIdentity': {when: always, reads: true},
  'ecr:GetAuthorizationToken': {when: always, reads: true},
  'ecr-public:GetAuthorizationToken': {when: always, reads: true},
  'codeartifact:GetAuthorizationToken': {when: always, reads: true},
  'redshift-serverless:GetCredentials': {when: always, reads: true},
  'acm:ExportCertificate': {when: always, reads: true},
  // These make something (a database user, a key pair, an access key): never repeated on a resume.
  'redshift:GetClusterCredentials': {when: always, reads: false},
  'redshift:GetClusterCredentialsWithIAM': {when: always, reads: false},
  'ec2:CreateKeyPair': {when: always, reads: false},
  'iam:CreateAccessKey': {when: always, reads: false},
  'iam:CreateServiceSpecificCredential': {when: always, reads: false},
  'iam:ResetServiceSpecificCredential': {when: always, reads: false},
}

/**
 * Whether this call returns a secret, and if so whether it only reads. A parameter that is a
 * reference (`WithDecryption: '{{ params.decrypt }}'`) counts as asking for the secret.
 */
export function secretCall(service: string, api: string, parameters: Record<string, unknown>): {reads: boolean} | undefined {
  const known = SECRET_CALLS[`${service}:${api}`]
  return known?.when(parameters) ? {reads: known.reads} : undefined
}

/** The step's call returns a secret. */
export const callsForSecret = (step: Step): {reads: boolean} | undefined =>
  step.kind === 'aws' || step.kind === 'wait' || step.kind === 'assert' ? secretCall(step.service, step.api, step.parameters) : undefined

/** Outputs secret whatever their value: marked `secret: true`, or every output of a call that returns a secret. */
export function declaredSecretOutputs(step: Step): Set<string> {
  const outputs = Object.entries(step.outputs as Record<string, StepOutput>)
  if (callsForSecret(step)) return new Set(outputs.map(([name]) => name))
  return new Set(outputs.filter(([, output]) => typeof output !== 'string' && output.secret).map(([name]) => name))
}

/** Steps whose outputs are made from what they were given: when that holds a secret, so may every output. */
export const DERIVING_KINDS: ReadonlySet<Step['kind']> = new Set(['script', 'shell', 'runbook', 'pick'])

export const secretParamsOf = (runbook: Pick<Runbook, 'parameters'>): Set<string> => new Set(Object.entries(runbook.parameters).filter(([, spec]) => spec.secret).map(([name]) => name))

/**
 * What is secret in a runbook before it runs, by step: the declared secret outputs, and every
 * output of a script, shell or runbook step that reads a secret parameter or output. At run
 * time an output whose value holds a known secret is redacted too.
 */
export function secretOutputsOf(runbook: Pick<Runbook, 'parameters' | 'steps'>): Map<string, Set<string>> {
  const params = secretParamsOf(runbook)
  const secret = new Map<string, Set<string>>()
  for (const step of runbook.steps) {
    const names = declaredSecretOutputs(step)
    if (DERIVING_KINDS.has(step.kind) && readsSecret(step, params, secret)) for (const name of Object.keys(step.outputs)) names.add(name)
    secret.set(step.name, names)
  }
  return secret
}

/** The step reads a secret parameter, or a secret output of an earlier step. */
function readsSecret(step: Step, params: ReadonlySet<string>, outputs: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const reads = readsOf(step)
  return reads.params.some((name) => params.has(name)) || reads.outputs.some(({step: producer, output}) => outputs.get(producer)?.has(output))
}

/** The parameters as a state file keeps them (secret ones as REDACTED), and the secret values apart. */
export function splitSecretParams(params: Record<string, unknown>, isSecret: (name: string) => boolean): {kept: Record<string, unknown>; secret: Record<string, unknown>} {
  const kept: Record<string, unknown> = {}
  const secret: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(params)) {
    if (isSecret(name) && value !== undefined) {
      secret[name] = value
      kept[name] = REDACTED
    } else kept[name] = value
  }
  return {kept, secret}
}

/** Shorter values are redacted where they are outputs and parameters, but not searched for in other text. */
const SHORTEST_SEARCHED = 4

const textsOf = (value: unknown): string[] => {
  if (typeof value === 'string') return [value]
  if (typeof value === 'number' || typeof value === 'bigint') return [String(value)]
  if (Array.isArray(value)) return value.flatMap(textsOf)
  if (value !== null && typeof value === 'object') return [JSON.stringify(value)]
  return []
}

/**
 * The secret values a run has met, in memory only: to find them in text that did not come
 * from the runbook (an AWS error message, a command's stderr, an output made from a secret)
 * and replace them there.
 */
export class SecretValues {
  readonly #texts = new Set<string>()

  add(value: unknown): void {
    for (const text of textsOf(value)) {
      if (text.length < SHORTEST_SEARCHED || text === REDACTED) continue
      this.#texts.add(text)
      // As it reads inside JSON (a request, a serialised answer): quotes and newlines escaped.
      this.#texts.add(JSON.stringify(text).slice(1, -1))
    }
  }

  /** The value holds a known secret somewhere in its text. */
  holds(value: unknown): boolean {
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? ''
    return [...this.#texts].some((secret) => text.includes(secret))
  }

  scrub(text: string): string {
    // Longest first, so a secret that holds another one is replaced whole.
    return [...this.#texts].sort((a, b) => b.length - a.length).reduce((scrubbed, secret) => scrubbed.replaceAll(secret, REDACTED), text)
  }
}
