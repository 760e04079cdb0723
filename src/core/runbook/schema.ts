import {z} from 'zod'

/** What SSM Automation does by default, and so what a step does unless it says otherwise. */
export const DEFAULT_ON_FAILURE = 'abort'

const name = z.string().regex(/^[a-z][a-zA-Z0-9-]*$/, 'a name starts with a lower-case letter and holds only letters, digits and dashes')
const duration = z.number().int().positive()
const apiCall = {
  service: z.string().regex(/^[a-z0-9-]+$/, 'the service is the SDK/SSM service name in lower case, e.g. rds, ecs, elbv2, cloudwatch'),
  api: z.string().regex(/^[A-Z][A-Za-z0-9]+$/, 'the API is the action name as AWS spells it, e.g. DescribeDBClusters'),
  parameters: z.record(z.string(), z.unknown()).default({}),
}
const selector = z.string().regex(/^\$\./, 'a selector is a JSONPath starting with $., e.g. $.DBClusters[0].Status')
const outputType = z.enum(['String', 'Integer', 'Boolean', 'StringList', 'MapList', 'StringMap'])
/**
 * `default` stands in when the selector matches nothing (CloudWatch leaves out a minute with no 5xx).
 * `secret`: the value is used by later steps but never shown, audited or kept in the state file.
 */
const output = z.union([selector, z.strictObject({selector, type: outputType.default('String'), default: z.union([z.string(), z.number(), z.boolean()]).optional(), secret: z.boolean().optional()})])
const values = z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)
const instanceTag = z.strictObject({key: z.string().min(1), value: z.string().min(1)})

const common = {
  name,
  description: z.string().optional(),
  timeout: duration.optional().describe('seconds'),
  retries: z.number().int().min(0).default(0),
  onFailure: z.union([z.enum(['abort', 'continue']), z.string().regex(/^step:.+$/, 'onFailure is abort, continue or step:<name>')]).default(DEFAULT_ON_FAILURE),
  /** The run ends after this step when it succeeds or fails with onFailure continue; the steps after it run only as an onFailure target. */
  end: z.boolean().default(false),
  outputs: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), output).default({}),
  /** The seconds of the runbook's RTO this step is planned to take; show, plan and report print it. Unlike timeout it stops nothing. */
  budgetSeconds: duration.optional(),
}

export const COMPARISONS = ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual', 'equals', 'notEquals'] as const
export type Comparison = (typeof COMPARISONS)[number]

/** The one comparison a script step makes (the schema allows exactly one). */
export const operatorOf = (step: Partial<Record<Comparison, unknown>>): Comparison => COMPARISONS.find((op) => step[op] !== undefined)!

/** The `fintech redis` operations a step runs; backup, restore and patch need their own flags and prompts, so they stay commands. */
export const REDIS_OPERATIONS = ['status', 'failover'] as const

export const STEP_SCHEMAS = {
  aws: z.strictObject({...common, kind: z.literal('aws'), ...apiCall}),
  wait: z.strictObject({...common, kind: z.literal('wait'), ...apiCall, selector, desiredValues: values}),
  assert: z.strictObject({...common, kind: z.literal('assert'), ...apiCall, selector, expected: values}),
  approve: z.strictObject({...common, kind: z.literal('approve'), summary: z.string().min(1)}),
  /**
   * `env`: the values the command reads, as environment variables (`"$TARGET"`), so a value is
   * data whatever quoting context the script uses it in; references go here, not in `command`.
   */
  shell: z.strictObject({...common, kind: z.literal('shell'), command: z.string().min(1), env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name is upper-case letters, digits and underscores'), z.union([z.string(), z.number(), z.boolean()])).default({}), instanceTag: instanceTag.optional()}),
  redis: z.strictObject({...common, kind: z.literal('redis'), operation: z.enum(REDIS_OPERATIONS), parameters: z.record(z.string(), z.unknown()).default({}), instanceTag: instanceTag.optional()}),
  runbook: z.strictObject({...common, kind: z.literal('runbook'), runbook: name, parameters: z.record(z.string(), z.unknown()).default({})}),
  script: z
    .strictObject({...common, kind: z.literal('script'), value: z.union([z.string(), z.number()]), ...Object.fromEntries(COMPARISONS.map((op) => [op, z.union([z.number(), z.string()]).optional()]))})
    .refine((step) => COMPARISONS.filter((op) => (step as Record<string, unknown>)[op] !== undefined).length === 1, {message: `a script step has exactly one of ${COMPARISONS.join(', ')}`}),
  /**
   * Picks one of `items` (a list): the one with the lowest or highest value `by` gives it, where
   * `by` is a selector over the item itself or a read-only call made once per item (`{{ item }}`
   * in its parameters) with a selector over its answer. An item without a numeric value is never
   * picked. `given`, when not empty, is the pick instead, and must be one of the items.
   * Outputs select over `{item, value}`.
   */
  pick: z.strictObject({
    ...common,
    kind: z.literal('pick'),
    items: z.union([z.string(), z.array(z.unknown())]),
    given: z.string().optional(),
    order: z.enum(['lowest', 'highest']),
    by: z.union([selector, z.strictObject({...apiCall, selector})]),
  }),
} as const

export type StepKind = keyof typeof STEP_SCHEMAS
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[]

type Parsed<K extends StepKind> = z.output<(typeof STEP_SCHEMAS)[K]>
export type AwsStep = Parsed<'aws'>
export type WaitStep = Parsed<'wait'>
export type AssertStep = Parsed<'assert'>
export type ApproveStep = Parsed<'approve'>
export type ShellStep = Parsed<'shell'>
export type RedisStep = Parsed<'redis'>
export type RunbookStep = Parsed<'runbook'>
export type PickStep = Parsed<'pick'>
export type ScriptStep = Parsed<'script'> & Partial<Record<Comparison, number | string>>
export type Step = AwsStep | WaitStep | AssertStep | ApproveStep | ShellStep | RedisStep | RunbookStep | PickStep | ScriptStep
export type StepOutput = z.output<typeof output>

/**
 * Where a parameter's value comes from when `--param` does not give it: a value of the env as
 * stack parameters read it (`{env: name}`), or an output of one of the env's deployed stacks
 * (`{stackOutput: compute.ServiceName}`), so at 3 a.m. nobody looks up an ARN by hand.
 */
export const parameterSource = z.union([
  z.strictObject({env: z.string().min(1)}),
  z.strictObject({stackOutput: z.string().regex(/^[a-z][a-z0-9-]*\.[A-Za-z0-9]+$/, 'write it as <stack id>.<OutputKey>')}),
])
export type ParameterSource = z.output<typeof parameterSource>

/**
 * `secret`: the value is used by the steps but never shown, audited or kept in the state file.
 * `allowEmpty`: an empty value is meant ("none given"); otherwise an empty value is a mistake.
 */
const parameterCommon = {description: z.string().min(1), from: parameterSource.optional(), secret: z.boolean().optional(), allowEmpty: z.boolean().optional()}
const parameter = z.discriminatedUnion('type', [
  z.strictObject({type: z.literal('string'), ...parameterCommon, default: z.string().optional()}),
  z.strictObject({type: z.literal('number'), ...parameterCommon, default: z.number().optional()}),
  z.strictObject({type: z.literal('boolean'), ...parameterCommon, default: z.boolean().optional()}),
  z.strictObject({type: z.literal('enum'), ...parameterCommon, values: z.array(z.string()).min(1), default: z.string().optional()}),
])
export type RunbookParameter = z.output<typeof parameter>

/** The runbook without its steps, which are checked one by one so each error names its own step. */
export const runbookHeaderSchema = z.strictObject({
  name,
  title: z.string().min(1),
  description: z.string().min(1),
  whenToUse: z.string().min(1),
  severity: z.enum(['sev1', 'sev2', 'sev3', 'routine']),
  envs: z.array(z.string().min(1)).min(1),
  parameters: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'a parameter name is letters and digits'), parameter).default({}),
  steps: z.array(z.unknown()).min(1),
  /**
   * Where the steps' AWS calls go: the env's region, or its recovery region (environments.<env>.recovery),
   * for a runbook that must work while the env's own region is down.
   */
  region: z.enum(['env', 'recovery']).default('env'),
  /** The markdown an engineer reads: when, what, how to verify, how to roll back by hand. */
  prose: z.string().min(1),
})

export type Runbook = Omit<z.output<typeof runbookHeaderSchema>, 'steps'> & {steps: Step[]; file: string}
