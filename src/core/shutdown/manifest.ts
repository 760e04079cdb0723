import {z} from 'zod'
import {FileError} from '../errors.js'

/**
 * The record of one shutdown period of an env: what `stop` found and changed, so `start`
 * restores exactly that and nothing else. Written before anything is stopped, updated after
 * every tier, and kept (S3 versioning) as the history `fintech cost savings` measures.
 */

export const MANIFEST_VERSION = 1

/** Stop order; start goes the other way. */
export const TIERS = ['ledger', 'redis', 'database'] as const
export type Tier = (typeof TIERS)[number]

const outcomeSchema = z.strictObject({
  result: z.enum(['done', 'failed', 'skipped']),
  at: z.iso.datetime(),
  detail: z.string().optional(),
})
export type ActionOutcome = z.output<typeof outcomeSchema>

const common = {
  id: z.string().min(1),
  /** Where the resource lives, so start restores it there; left out by versions before the recovery region, which meant the manifest's region. */
  region: z.string().min(1).optional(),
  tier: z.enum(TIERS),
  /** The last stop and start applied to this resource in this period. */
  stop: outcomeSchema.optional(),
  start: outcomeSchema.optional(),
}

const scalableTargetSchema = z.strictObject({
  resourceId: z.string(),
  min: z.number().int().min(0),
  max: z.number().int().min(0),
  suspended: z.strictObject({dynamicScalingIn: z.boolean(), dynamicScalingOut: z.boolean(), scheduled: z.boolean()}),
})

export const manifestEntrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ec2-instance'),
    ...common,
    instanceType: z.string(),
    prior: z.strictObject({state: z.enum(['running', 'stopped'])}),
  }),
  z.strictObject({
    kind: z.literal('auto-scaling-group'),
    ...common,
    prior: z.strictObject({min: z.number().int().min(0), max: z.number().int().min(0), desired: z.number().int().min(0)}),
  }),
  z.strictObject({
    kind: z.literal('ecs-service'),
    ...common,
    clusterArn: z.string(),
    name: z.string(),
    /** For the price of a stopped task hour (its CPU and memory). */
    taskDefinition: z.string(),
    prior: z.strictObject({desiredCount: z.number().int().min(0), scaling: scalableTargetSchema.nullable()}),
  }),
  z.strictObject({
    kind: z.literal('aurora-cluster'),
    ...common,
    memberClasses: z.array(z.string()),
    prior: z.strictObject({status: z.string()}),
  }),
  z.strictObject({
    kind: z.literal('rds-instance'),
    ...common,
    instanceClass: z.string(),
    prior: z.strictObject({status: z.string()}),
  }),
])
type StoredEntry = z.output<typeof manifestEntrySchema>
/** An entry as the core sees it: parseManifest gives an entry of an older manifest its manifest's region. */
export type ManifestEntry = StoredEntry & {region: string}
export type ManifestEntryKind = ManifestEntry['kind']

export const manifestSchema = z.strictObject({
  version: z.literal(MANIFEST_VERSION),
  env: z.string(),
  account: z.string().regex(/^\d{12}$/),
  region: z.string(),
  /** Local date (in the env's schedule time zone) of the night the period began. */
  night: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** stopping/starting while a run works on it; stopped until `start` has run; started closes it. */
  status: z.enum(['stopping', 'stopped', 'starting', 'started']),
  createdAt: z.iso.datetime(),
  runs: z.array(z.strictObject({runId: z.string(), command: z.enum(['stop', 'start']), at: z.iso.datetime(), by: z.string()})),
  resources: z.array(manifestEntrySchema),
})
export type Manifest = Omit<z.output<typeof manifestSchema>, 'resources'> & {resources: ManifestEntry[]}

/** Key prefix of an env's shutdown state in the state bucket. */
export const statePrefix = (env: string) => `fintech/shutdown/${env}/`
export const manifestKey = (env: string, night: string) => `${statePrefix(env)}manifests/${night}.json`
export const lockKey = (env: string) => `${statePrefix(env)}lock.json`

/** Parses a stored manifest; a damaged one is bad input (exit 2) named by its key and field. */
export function parseManifest(body: string, key: string): Manifest {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (error) {
    throw new FileError(key, `not valid JSON (${(error as Error).message}); fix or remove it by hand before the next run`)
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '')
    throw new FileError(key, `${issue.message}; fix or remove it by hand before the next run`, undefined, path || undefined)
  }
  const manifest = parsed.data
  return {...manifest, resources: manifest.resources.map((entry) => ({...entry, region: entry.region ?? manifest.region}))}
}

export const serializeManifest = (manifest: Manifest): string => `${JSON.stringify(manifest, null, 2)}\n`
