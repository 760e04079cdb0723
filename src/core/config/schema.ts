import {DateTime, IANAZone} from 'luxon'
import {z} from 'zod'

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'use lower-case letters, digits and dashes, starting with a letter')
const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits (quote it in YAML)')

/**
 * A stack parameter: a literal, a value of the environment (`{env: region}`, or a key of its
 * `values`), or an output of another stack (`{stackOutput: network.VpcId}`), which the CLI
 * resolves itself so stacks never lock each other through Fn::ImportValue.
 */
export const parameterValueSchema = z.union([
  z.string(),
  z.number().transform(String),
  z.boolean().transform(String),
  z.strictObject({env: z.string().min(1)}),
  z.strictObject({
    stackOutput: z.string().regex(/^[a-z][a-z0-9-]*\.[A-Za-z0-9]+$/, 'write it as <stack id>.<OutputKey>'),
  }),
])

export const stackSchema = z.strictObject({
  id: name,
  template: z.string().min(1),
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/).optional(),
  parameters: z.record(z.string(), parameterValueSchema).default({}),
  dependsOn: z.array(name).default([]),
  /** Environments this stack deploys to; every environment when left out. */
  envs: z.array(name).min(1).optional(),
  /** `recovery`: deployed in the env's recovery region (environments.<env>.recovery), to envs that have one. */
  region: z.enum(['primary', 'recovery']).default('primary'),
})

export const stageSchema = z.strictObject({
  name,
  stacks: z.array(stackSchema).min(1),
})

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a 24-hour local time such as "19:00"')
// A calendar date is valid or not in any zone; naming zone and locale spares luxon asking Intl
// for the system's, about 20 ms the first time in a process.
const isoDate = z.string().refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value, {zone: 'utc', locale: 'en-US'}).isValid, 'a date such as "2026-12-25"')
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

/**
 * Canonical zone names are checked against the list the runtime ships, which costs about a
 * millisecond; luxon's check builds a formatter in the zone (about 20 ms, once a process) and is
 * kept for the rest: aliases such as "UTC" or "US/Eastern".
 */
let canonicalZones: Set<string> | undefined
const isTimeZone = (zone: string) => (canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'))).has(zone) || IANAZone.isValidZone(zone)

/**
 * When a non-production env sleeps. `stop` runs every day at its time (so a cluster AWS
 * restarts after 7 days is stopped again); `start` runs on `days` that are not `holidays`.
 * Leave `start` out for a stop-only schedule (someone starts the env by hand).
 */
export const scheduleSchema = z
  .strictObject({
    timezone: z.string().refine(isTimeZone, 'an IANA time zone such as "Europe/London"'),
    stop: clockTime,
    start: clockTime.optional(),
    days: z.array(z.enum(WEEKDAYS)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    holidays: z.array(isoDate).default([]),
  })
  .refine((schedule) => schedule.start === undefined || schedule.start !== schedule.stop, {message: 'start and stop must differ', path: ['start']})

/**
 * Production by name: an env called prod or production is protected whatever its config says,
 * and a resource tagged with such a name is never shut down. Case does not matter.
 */
export const isProductionName = (envName: string): boolean => /^(prod|production)$/i.test(envName)

const regionName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')

/**
 * A second region the env fails over to (docs/dr.md): active-passive, the same account.
 * `rpoSeconds` is the most replication lag `fintech dr status` accepts, `rtoMinutes` the time
 * the failover runbooks budget for bringing the recovery region to serve.
 */
export const recoverySchema = z.strictObject({
  region: regionName,
  rpoSeconds: z.number().int().min(1).default(60),
  rtoMinutes: z.number().int().min(1).default(30),
})

export const environmentSchema = z
  .strictObject({
    account: accountId,
    region: regionName,
    profile: z.string().optional(),
    /** Left out: true for a production name (isProductionName), false otherwise; resolved once in configSchema. */
    protected: z.boolean().optional(),
    parameterFile: z.string().optional(),
    values: z.record(z.string(), z.union([z.string(), z.number().transform(String), z.boolean().transform(String)])).default({}),
    tags: z.record(z.string(), z.string()),
    schedule: scheduleSchema.optional(),
    /** The AWS Organizations OU (by name) that holds the env's account; left out for an account directly under the root. */
    ou: z.string().regex(/^[\w .-]{1,128}$/).optional(),
    recovery: recoverySchema.optional(),
  })
  .refine((env) => env.recovery?.region !== env.region, {message: 'the recovery region must differ from the env region', path: ['recovery', 'region']})

/** Where `fintech shutdown` keeps its manifests and lock, and how long it waits for each tier. */
export const shutdownSchema = z.strictObject({
  stateBucket: z
    .string()
    .optional()
    .describe('bucket for manifests and the lock; the artifact bucket when left out; {account} and {region} are filled in'),
  image: z
    .string()
    .min(1)
    .optional()
    .describe(
      'container image of the CLI that the scheduled stop/start tasks run (fintech shutdown schedule); ' +
        '{account}.dkr.ecr.{region}.amazonaws.com/fintech:{version} when left out; {account}, {region} and {version} are filled in',
    ),
  lockTtlMinutes: z.number().int().min(5).max(24 * 60).default(120),
  waitMinutes: z
    .strictObject({
      aurora: z.number().int().min(1).default(30),
      redis: z.number().int().min(1).default(15),
      ledger: z.number().int().min(1).default(15),
    })
    .default({aurora: 30, redis: 15, ledger: 15}),
})

/** The smallest AWS timeout accepted: below it no AWS call could answer. */
export const MIN_AWS_TIMEOUT_MS = 100

/**
 * How long one attempt of an AWS call may wait before the SDK tries again; the defaults are in
 * src/aws/clients.ts, and FINTECH_AWS_CONNECT_TIMEOUT_MS / FINTECH_AWS_REQUEST_TIMEOUT_MS win over these.
 */
export const awsSchema = z.strictObject({
  connectTimeoutMs: z.number().int().min(MIN_AWS_TIMEOUT_MS).optional().describe('milliseconds to establish the connection to an AWS endpoint (default 3000)'),
  requestTimeoutMs: z
    .number()
    .int()
    .min(MIN_AWS_TIMEOUT_MS)
    .optional()
    .describe('milliseconds to wait for an answer, and the longest silence while it arrives (default 15000)'),
})

/** Where a policy attaches: the organization root, an OU by name, or an account (an env name or a 12-digit id). */
export const policyTargetSchema = z
  .string()
  .regex(/^(root|ou:[\w .-]{1,128}|account:([a-z][a-z0-9-]*|\d{12}))$/, 'root, ou:<OU name> or account:<env name or 12-digit account id>')

export const scpSchema = z.strictObject({
  name: z.string().regex(/^[\w+=,.@-]{1,128}$/, 'letters, digits and +=,.@-_, at most 128'),
  file: z.string().min(1),
  description: z.string().max(512).default(''),
  targets: z.array(policyTargetSchema).min(1),
})

/**
 * Service control policies and the tag policy, as code (`fintech scp`). The limits default to
 * today's AWS quotas (10,240 characters and 10 policies per target since May 2026; 5,120 and
 * 5 before): set them to the older figures for an organization that has not been raised.
 */
export const guardrailsSchema = z.strictObject({
  policySizeLimit: z.number().int().min(1).default(10_240),
  policiesPerTargetLimit: z.number().int().min(1).default(10),
  /** The role (by name, in every account) that the guardrails must leave able to act in an emergency. */
  breakGlassRole: z.string().regex(/^[\w+=,.@-]{1,64}$/).default('fintech-break-glass').describe('role name, at IAM path "/" in every account: the SCPs exempt role/<name>, so a role under a path (role/ops/<name>) is not exempt'),
  scps: z.array(scpSchema).default([]),
  tagPolicy: z.strictObject({name: z.string().regex(/^[\w+=,.@-]{1,128}$/), description: z.string().max(512).default(''), targets: z.array(policyTargetSchema).min(1)}).optional(),
})

/** Tag rules for `fintech tags`: the values each required tag may take, and how `fix` fills missing ones. */
export const taggingSchema = z.strictObject({
  allowedValues: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
  /** Rules `tags fix` applies where the owning stack has no value: the first rule whose match holds sets its tags. */
  rules: z
    .array(
      z.strictObject({
        match: z.strictObject({resourceTypes: z.array(z.string()).optional(), tags: z.record(z.string(), z.string()).optional()}).default({}),
        set: z.record(z.string(), z.string()),
      }),
    )
    .default([]),
})

const stackSetName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a StackSet name: a letter, then letters, digits and dashes, at most 128')
const organizationalUnitId = z
  .string()
  .regex(/^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$/, 'an OU id such as ou-ab12-cd34ef56, or the root id such as r-ab12 (aws organizations list-organizational-units-for-parent)')

/**
 * One service-managed StackSet (docs/org-rollout.md): the template of the stack `stack`, with
 * the parameters and tags the env `env` would give it, rolled out to every account of the OUs
 * in each region. The percentages go to CloudFormation as the operation preferences.
 */
export const stackSetSchema = z.strictObject({
  name: stackSetName,
  stack: name.describe('id of the stack (in stages) whose template the StackSet deploys'),
  env: name.describe('environment whose parameter file, values and tags the StackSet takes'),
  organizationalUnits: z.array(organizationalUnitId).min(1),
  regions: z.array(regionName).min(1),
  maxConcurrentPercentage: z.number().int().min(1).max(100).default(25),
  failureTolerancePercentage: z.number().int().min(0).max(100).default(0),
  regionConcurrency: z.enum(['SEQUENTIAL', 'PARALLEL']).default('SEQUENTIAL'),
  autoDeployment: z
    .strictObject({enabled: z.boolean().default(true), retainStacksOnAccountRemoval: z.boolean().default(false)})
    .default({enabled: true, retainStacksOnAccountRemoval: false}),
  timeoutMinutes: z.number().int().min(1).max(24 * 60).default(120),
})

/**
 * Multi-account rollout through StackSets: the administrator env is the account that owns the
 * StackSets (the management account, callAs SELF, or a delegated administrator, DELEGATED_ADMIN).
 */
export const organizationSchema = z.strictObject({
  administrator: name.default('management'),
  callAs: z.enum(['SELF', 'DELEGATED_ADMIN']).default('SELF'),
  stackSets: z.array(stackSetSchema).min(1),
})

export const configSchema = z
  .strictObject({
    project: name.default('fintech'),
    requiredTags: z.array(z.string()).default(['Environment', 'CostCenter', 'Owner', 'Service', 'DataClassification']),
    artifactBucket: z
      .string()
      .default('fintech-artifacts-{account}-{region}')
      .describe('bucket for templates over 51,200 bytes; {account} and {region} are filled in'),
    concurrency: z.number().int().min(1).max(16).default(4),
    polling: z
      .strictObject({initialMs: z.number().int().min(1).default(1000), maxMs: z.number().int().min(1).default(10_000)})
      .default({initialMs: 1000, maxMs: 10_000}),
    audit: z.strictObject({path: z.string().optional()}).default({}),
    aws: awsSchema.default({}),
    shutdown: shutdownSchema.default({lockTtlMinutes: 120, waitMinutes: {aurora: 30, redis: 15, ledger: 15}}),
    guardrails: guardrailsSchema.default({policySizeLimit: 10_240, policiesPerTargetLimit: 10, breakGlassRole: 'fintech-break-glass', scps: []}),
    tagging: taggingSchema.default({allowedValues: {}, rules: []}),
    organization: organizationSchema.optional(),
    environments: z.record(name, environmentSchema).refine((envs) => Object.keys(envs).length > 0, 'declare at least one environment'),
    stages: z.array(stageSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const stackIds = new Map<string, number>()
    config.stages.forEach((stage, stageIndex) => {
      stage.stacks.forEach((stack, stackIndex) => {
        if (stackIds.has(stack.id)) {
          ctx.addIssue({code: 'custom', message: `stack id "${stack.id}" is used twice`, path: ['stages', stageIndex, 'stacks', stackIndex, 'id']})
        }
        stackIds.set(stack.id, stageIndex)
      })
    })
    const stageNames = new Set<string>()
    config.stages.forEach((stage, index) => {
      if (stageNames.has(stage.name)) ctx.addIssue({code: 'custom', message: `stage "${stage.name}" is declared twice`, path: ['stages', index, 'name']})
      stageNames.add(stage.name)
    })
    config.stages.forEach((stage, stageIndex) => {
      stage.stacks.forEach((stack, stackIndex) => {
        const at = ['stages', stageIndex, 'stacks', stackIndex]
        for (const dependency of stack.dependsOn) {
          if (stackIds.get(dependency) !== stageIndex) {
            ctx.addIssue({code: 'custom', message: `"${dependency}" is not a stack of stage ${stage.name}`, path: [...at, 'dependsOn']})
          }
        }
        for (const [parameter, value] of Object.entries(stack.parameters)) {
          if (typeof value !== 'object' || !('stackOutput' in value)) continue
          const source = value.stackOutput.split('.')[0]!
          const sourceStage = stackIds.get(source)
          if (sourceStage === undefined) {
            ctx.addIssue({code: 'custom', message: `no stack has the id "${source}"`, path: [...at, 'parameters', parameter, 'stackOutput']})
          } else if (sourceStage > stageIndex || source === stack.id) {
            ctx.addIssue({code: 'custom', message: `"${source}" is deployed after this stack; only earlier stacks can feed it`, path: [...at, 'parameters', parameter, 'stackOutput']})
          }
        }
      })
    })
    config.stages.forEach((stage, stageIndex) => {
      stage.stacks.forEach((stack, stackIndex) => {
        stack.envs?.forEach((envName, envIndex) => {
          if (!config.environments[envName]) {
            ctx.addIssue({code: 'custom', message: `no environment is called "${envName}"`, path: ['stages', stageIndex, 'stacks', stackIndex, 'envs', envIndex]})
          } else if (stack.region === 'recovery' && !config.environments[envName].recovery) {
            ctx.addIssue({code: 'custom', message: `${envName} has no recovery region (environments.${envName}.recovery)`, path: ['stages', stageIndex, 'stacks', stackIndex, 'envs', envIndex]})
          }
        })
        // Listing the envs keeps every command that walks an env's stacks (status, destroy, shutdown) from looking for a recovery stack where there is none.
        if (stack.region === 'recovery' && !stack.envs) {
          ctx.addIssue({code: 'custom', message: 'a recovery stack lists its envs (those with a recovery region)', path: ['stages', stageIndex, 'stacks', stackIndex, 'region']})
        }
      })
    })
    const targets = [
      ...config.guardrails.scps.flatMap((policy, index) => policy.targets.map((target, at) => ({target, path: ['guardrails', 'scps', index, 'targets', at]}))),
      ...(config.guardrails.tagPolicy?.targets ?? []).map((target, at) => ({target, path: ['guardrails', 'tagPolicy', 'targets', at]})),
    ]
    for (const {target, path} of targets) {
      const account = /^account:([a-z][a-z0-9-]*)$/.exec(target)?.[1]
      if (account && !config.environments[account]) ctx.addIssue({code: 'custom', message: `no environment is called "${account}"`, path})
    }
    const policyNames = new Set<string>()
    config.guardrails.scps.forEach((policy, index) => {
      if (policyNames.has(policy.name)) ctx.addIssue({code: 'custom', message: `policy "${policy.name}" is declared twice`, path: ['guardrails', 'scps', index, 'name']})
      policyNames.add(policy.name)
    })
    for (const key of Object.keys(config.tagging.allowedValues)) {
      if (!config.requiredTags.includes(key)) ctx.addIssue({code: 'custom', message: `${key} is not one of requiredTags`, path: ['tagging', 'allowedValues', key]})
    }
    if (config.organization) checkOrganization(config.organization, config, ctx)
    for (const [envName, env] of Object.entries(config.environments)) {
      const allowed = config.tagging.allowedValues
      for (const [tag, value] of Object.entries(env.tags)) {
        if (allowed[tag] && !allowed[tag].includes(value)) ctx.addIssue({code: 'custom', message: `"${value}" is not an allowed value of ${tag} (tagging.allowedValues)`, path: ['environments', envName, 'tags', tag]})
      }
      for (const tag of config.requiredTags) {
        if (!env.tags[tag]) ctx.addIssue({code: 'custom', message: `required tag ${tag} is missing`, path: ['environments', envName, 'tags']})
      }
      if (env.protected === false && isProductionName(envName)) {
        ctx.addIssue({code: 'custom', message: `an environment named ${envName} is always protected; remove "protected: false"`, path: ['environments', envName, 'protected']})
      }
      if (env.schedule && (env.protected || isProductionName(envName))) {
        ctx.addIssue({code: 'custom', message: 'a protected environment is never shut down; remove its schedule', path: ['environments', envName, 'schedule']})
      }
      if (env.tags.Environment && env.tags.Environment !== envName) {
        ctx.addIssue({code: 'custom', message: `must be "${envName}", the environment's name`, path: ['environments', envName, 'tags', 'Environment']})
      }
    }
  })
  // The one place "protected" is decided; every command reads environments[name].protected.
  .transform((config) => ({
    ...config,
    environments: Object.fromEntries(
      Object.entries(config.environments).map(([envName, env]) => [envName, {...env, protected: env.protected ?? isProductionName(envName)}]),
    ),
  }))

type CheckedConfig = {environments: Record<string, unknown>; stages: Array<{stacks: StackConfig[]}>}

function checkOrganization(organization: z.output<typeof organizationSchema>, config: CheckedConfig, ctx: z.RefinementCtx): void {
  if (!config.environments[organization.administrator]) {
    ctx.addIssue({code: 'custom', message: `no environment is called "${organization.administrator}"`, path: ['organization', 'administrator']})
  }
  const names = new Set<string>()
  organization.stackSets.forEach((stackSet, index) => {
    const at = ['organization', 'stackSets', index]
    if (names.has(stackSet.name)) ctx.addIssue({code: 'custom', message: `StackSet "${stackSet.name}" is declared twice`, path: [...at, 'name']})
    names.add(stackSet.name)
    if (!config.environments[stackSet.env]) ctx.addIssue({code: 'custom', message: `no environment is called "${stackSet.env}"`, path: [...at, 'env']})
    if (new Set(stackSet.organizationalUnits).size !== stackSet.organizationalUnits.length) ctx.addIssue({code: 'custom', message: 'an OU is listed twice', path: [...at, 'organizationalUnits']})
    if (new Set(stackSet.regions).size !== stackSet.regions.length) ctx.addIssue({code: 'custom', message: 'a region is listed twice', path: [...at, 'regions']})
    const stack = config.stages.flatMap((stage) => stage.stacks).find((candidate) => candidate.id === stackSet.stack)
    if (!stack) {
      ctx.addIssue({code: 'custom', message: `no stack has the id "${stackSet.stack}"`, path: [...at, 'stack']})
      return
    }
    if (stack.region === 'recovery') ctx.addIssue({code: 'custom', message: `${stack.id} is a recovery stack; a StackSet names its regions itself`, path: [...at, 'stack']})
    // Every account of the OUs gets the same values: an output of one account's stack has no meaning in the others.
    const fedByOutputs = Object.keys(stack.parameters).filter((parameter) => {
      const value = stack.parameters[parameter]
      return typeof value === 'object' && 'stackOutput' in value
    })
    if (fedByOutputs.length > 0) {
      ctx.addIssue({code: 'custom', message: `${stack.id} takes ${fedByOutputs.join(', ')} from other stacks' outputs, which a StackSet cannot give every account`, path: [...at, 'stack']})
    }
  })
}

export type FintechConfig = z.output<typeof configSchema>
export type EnvironmentConfig = FintechConfig['environments'][string]
export type StageConfig = z.output<typeof stageSchema>
export type GuardrailsConfig = z.output<typeof guardrailsSchema>
export type ScpConfig = z.output<typeof scpSchema>
export type TaggingConfig = z.output<typeof taggingSchema>
export type ScheduleConfig = z.output<typeof scheduleSchema>
export type ShutdownConfig = z.output<typeof shutdownSchema>
export type AwsConfig = z.output<typeof awsSchema>
export type StackConfig = z.output<typeof stackSchema>
export type ParameterValue = z.output<typeof parameterValueSchema>
export type OrganizationConfig = z.output<typeof organizationSchema>
export type StackSetConfig = z.output<typeof stackSetSchema>
