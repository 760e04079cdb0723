import pLimit from 'p-limit'
import type {ServiceTagging, Tags} from '../core/tags/api.js'

/**
 * What the service listings of `tags audit` and `tags fix` share: request counting and the
 * per-resource tag calls for services the Tagging API does not cover.
 */

/** Counts the requests a source sends, for the report. */
export function requestCounter() {
  let sent = 0
  return {
    async count<T>(request: () => Promise<T>): Promise<T> {
      sent += 1
      return request()
    },
    sent: () => sent,
  }
}

export const errorName = (error: unknown) => (error as {name?: string}).name ?? 'Error'

/** A resource gone between listing and reading its tags just leaves the inventory. */
export const isGone = (error: unknown) =>
  /NotFound|NoSuch|ResourceNotFoundException/.test(errorName(error)) || (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode === 404

/** Per-resource calls in flight at once: quick for a few hundred resources, gentle on each service's rate. */
const PER_RESOURCE_CALLS = 4

/** Runs `work` over `items`, a few at once. */
async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const limit = pLimit(PER_RESOURCE_CALLS)
  await Promise.all(items.map((item) => limit(() => work(item))))
}

/** Reads each ARN's tags with a per-resource call, a few at once; gone resources are left out. */
export async function tagsOneByOne(arns: string[], read: (arn: string) => Promise<Tags>): Promise<Map<string, Tags>> {
  const found = new Map<string, Tags>()
  await eachLimited(arns, async (arn) => {
    try {
      found.set(arn, await read(arn))
    } catch (error) {
      if (!isGone(error)) throw error
    }
  })
  return found
}

/** Tags each ARN with a per-resource call; each failure is kept for its resource. */
export async function tagOneByOne(arns: string[], via: string, write: (arn: string) => Promise<unknown>): Promise<Map<string, ServiceTagging>> {
  const results = new Map<string, ServiceTagging>()
  await eachLimited(arns, async (arn) => {
    try {
      await write(arn)
      results.set(arn, {via})
    } catch (error) {
      results.set(arn, {via, failure: {code: errorName(error), message: (error as Error).message}})
    }
  })
  return results
}

