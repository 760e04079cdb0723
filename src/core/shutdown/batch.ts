import {InstanceBatchError} from './api.js'

/** EC2 instances per Stop/StartInstances call: few calls for big envs, small blast radius for a refusal. */
export const INSTANCE_BATCH_SIZE = 50

export interface BatchOutcome {
  succeeded: string[]
  failed: Map<string, string>
}

/**
 * Sends `ids` in batches of `size`, one call each. EC2 refuses a whole call for one bad
 * instance, so a refused batch is retried without the instances its error names, or split
 * in halves when it names none, until every instance has its own answer: one bad instance
 * costs a few calls and never fails the others.
 */
export async function sendInBatches(ids: string[], call: (batch: string[]) => Promise<void>, size = INSTANCE_BATCH_SIZE): Promise<BatchOutcome> {
  const outcome: BatchOutcome = {succeeded: [], failed: new Map()}
  const attempt = async (batch: string[]): Promise<void> => {
    if (batch.length === 0) return
    try {
      await call(batch)
      outcome.succeeded.push(...batch)
    } catch (error) {
      const message = (error as Error).message
      if (!(error instanceof InstanceBatchError)) {
        for (const id of batch) outcome.failed.set(id, message)
        return
      }
      const named = error.instanceIds.filter((id) => batch.includes(id))
      if (named.length > 0 && named.length < batch.length) {
        for (const id of named) outcome.failed.set(id, `${error.code}: ${message}`)
        return attempt(batch.filter((id) => !named.includes(id)))
      }
      if (batch.length === 1 || named.length === batch.length) {
        for (const id of batch) outcome.failed.set(id, `${error.code}: ${message}`)
        return
      }
      const half = Math.ceil(batch.length / 2)
      await attempt(batch.slice(0, half))
      await attempt(batch.slice(half))
    }
  }
  for (let start = 0; start < ids.length; start += size) await attempt(ids.slice(start, start + size))
  return outcome
}
