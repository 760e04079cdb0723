import type {Tags} from '../core/shutdown/api.js'

/** AWS's tag lists ([{Key, Value}]) as the map the core reads. */
export const tagMap = (tags: {Key?: string; Value?: string}[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']))
