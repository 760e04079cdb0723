import {createHash, randomBytes} from 'node:crypto'
import {z} from 'zod'

/** planned: a dry run shows the step without doing it. A step the run's path never reached has no record. */
export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'planned'] as const
export type StepStatus = (typeof STEP_STATUSES)[number]

export interface StepRecord {
  status: StepStatus
  attempts: number
  startedAt?: string
  endedAt?: string
  outputs: Record<string, unknown>
  /** Why it failed, or what a dry run would have done. */
  detail?: string
  /** The run of a `runbook` step's runbook, so a resume continues inside it. */
  child?: RunState
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'refused' | 'interrupted'

export interface RunState {
  id: string
  runbook: string
  /** sha256 of the runbook file when the run started: a resume of a changed runbook is said out loud. */
  runbookHash: string
  env: string
  params: Record<string, unknown>
  dryRun: boolean
  status: RunStatus
  caller: string
  startedAt: string
  updatedAt: string
  /** The step a resume starts at: the one that failed or was interrupted; absent once the run ended well. */
  next?: string
  steps: Record<string, StepRecord>
}

/** How a state file is checked on resume: a hand-edited or truncated file is bad input, not a crash. */
const stepRecordSchema: z.ZodType<StepRecord> = z.lazy(() =>
  z.object({
    status: z.enum(STEP_STATUSES),
    attempts: z.number().int().min(0),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    outputs: z.record(z.string(), z.unknown()),
    detail: z.string().optional(),
    child: runStateSchema.optional(),
  }),
)

export const runStateSchema: z.ZodType<RunState> = z.lazy(() =>
  z.object({
    id: z.string().min(1),
    runbook: z.string().min(1),
    runbookHash: z.string(),
    env: z.string().min(1),
    params: z.record(z.string(), z.unknown()),
    dryRun: z.boolean(),
    status: z.enum(['running', 'succeeded', 'failed', 'refused', 'interrupted']),
    caller: z.string(),
    startedAt: z.string(),
    updatedAt: z.string(),
    next: z.string().optional(),
    steps: z.record(z.string(), stepRecordSchema),
  }),
)

export const hashRunbookText = (text: string): string => createHash('sha256').update(text).digest('hex')

/** `failover-prod-20261201T031502Z-7f3a`: sortable, says what and where, unique enough for one team. */
export function newRunId(runbook: string, env: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  return `${runbook}-${env}-${stamp}-${randomBytes(2).toString('hex')}`
}

export function newRunState(fields: {id: string; runbook: string; runbookHash: string; env: string; params: Record<string, unknown>; dryRun: boolean; caller: string; now: Date}): RunState {
  const time = fields.now.toISOString()
  const {now: _now, ...rest} = fields
  return {...rest, status: 'running', startedAt: time, updatedAt: time, steps: {}}
}
