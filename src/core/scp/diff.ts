/** JSON with its object keys sorted, so that two policies differing only in key order compare equal. */
export function canonicalJson(text: string): string {
  const sort = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sort)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sort((value as Record<string, unknown>)[key])]))
        : value
  try {
    return JSON.stringify(sort(JSON.parse(text)))
  } catch {
    return text
  }
}

/** Pretty-printed JSON for reading; text that is not JSON is shown as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/**
 * A line diff of two texts in the unified style (`-` removed, `+` added, two lines of context,
 * `@@` between distant hunks). Policies are small, so the plain LCS table is enough.
 */
export function lineDiff(before: string, after: string, context = 2): string {
  const a = before.split('\n')
  const b = after.split('\n')
  const lengths: number[][] = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!)
  }
  const lines: Array<{mark: ' ' | '-' | '+'; text: string}> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({mark: ' ', text: a[i++]!})
      j++
    } else if (i < a.length && (j === b.length || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) lines.push({mark: '-', text: a[i++]!})
    else lines.push({mark: '+', text: b[j++]!})
  }
  const keep = lines.map((line, index) => line.mark !== ' ' || lines.slice(Math.max(0, index - context), index + context + 1).some((near) => near.mark !== ' '))
  const out: string[] = []
  lines.forEach((line, index) => {
    if (!keep[index]) return
    if (index > 0 && !keep[index - 1] && out.length > 0) out.push('@@')
    out.push(`${line.mark} ${line.text}`)
  })
  return out.join('\n')
}
