/**
 * How values reach a shell step: as environment variables, never as text spliced into the
 * script. A `{{ … }}` still written inside a command becomes a reference to a variable the
 * engine sets, so bash expands it as data wherever it stands and never parses it as code.
 */

/** The variables standing in for the references left in a command: FINTECH_VALUE_1, FINTECH_VALUE_2, … */
export const VALUE_VARIABLE_PREFIX = 'FINTECH_VALUE_'

const REFERENCE = /\{\{\s*[^{}]*?\s*\}\}/y
const REFERENCE_ANYWHERE = /\{\{\s*[^{}]*?\s*\}\}/g

/**
 * Where a reference stands in a bash script: `bare` (a word of its own, or part of one),
 * `double` (inside double quotes), `single` (inside single quotes or a comment, where
 * nothing expands), `heredoc` (in a here-document's body).
 */
export type Quoting = 'bare' | 'double' | 'single' | 'heredoc'

interface PendingHeredoc {
  delimiter: string
  stripTabs: boolean
}

/** A here-document's delimiter word ends at a blank or an operator. */
const DELIMITER_WORD = /[^\s;&|<>()]+/y

/**
 * The quoting of each `{{ … }}` in `script`, by where it starts. It follows quotes, escapes, `$( … )`,
 * backquotes, comments and here-documents. Whatever it misjudges, the variable put in a
 * reference's place is only ever expanded, never evaluated: a misjudged context costs the
 * value's exact bytes (word splitting, or quote marks in a here-document), never a command.
 */
export function quotingOfReferences(script: string): Map<number, Quoting> {
  const found = new Map<number, Quoting>()
  const stack: Array<'plain' | 'double' | 'paren' | 'backquote'> = ['plain']
  let pending: PendingHeredoc[] = []
  const referencesIn = (from: number, to: number, quoting: Quoting) => {
    for (const match of script.slice(from, to).matchAll(REFERENCE_ANYWHERE)) found.set(from + match.index, quoting)
  }
  let at = 0
  while (at < script.length) {
    const top = stack.at(-1)!
    REFERENCE.lastIndex = at
    const reference = REFERENCE.exec(script)
    if (reference) {
      found.set(at, top === 'double' ? 'double' : 'bare')
      at += reference[0].length
      continue
    }
    const char = script[at]!
    if (char === '\\') {
      at += 2
      continue
    }
    if (top === 'double') {
      if (char === '"') stack.pop()
      else if (script.startsWith('$(', at)) {
        stack.push('paren')
        at += 2
        continue
      } else if (char === '`') stack.push('backquote')
      at++
      continue
    }
    if (char === "'") {
      const close = script.indexOf("'", at + 1)
      const end = close < 0 ? script.length : close + 1
      referencesIn(at, end, 'single')
      at = end
    } else if (char === '"') {
      stack.push('double')
      at++
    } else if (char === '`') {
      if (top === 'backquote') stack.pop()
      else stack.push('backquote')
      at++
    } else if (char === '(') {
      stack.push('paren')
      at++
    } else if (char === ')' && top === 'paren') {
      stack.pop()
      at++
    } else if (char === '#' && (at === 0 || /[\s;&|()]/.test(script[at - 1]!))) {
      const newline = script.indexOf('\n', at)
      const end = newline < 0 ? script.length : newline
      referencesIn(at, end, 'single')
      at = end
    } else if (script.startsWith('<<<', at)) at += 3
    else if (script.startsWith('<<', at)) {
      at += 2
      const stripTabs = script[at] === '-'
      if (stripTabs) at++
      while (script[at] === ' ' || script[at] === '\t') at++
      DELIMITER_WORD.lastIndex = at
      const word = DELIMITER_WORD.exec(script)?.[0] ?? ''
      pending.push({delimiter: word.replace(/["'\\]/g, ''), stripTabs})
      at += word.length
    } else if (char === '\n' && pending.length > 0) {
      at = bodiesEnd(script, at + 1, pending, (from, to) => referencesIn(from, to, 'heredoc'))
      pending = []
    } else at++
  }
  return found
}

/** Reads the here-document bodies that start at `from`, one after the other; returns where the script goes on. */
function bodiesEnd(script: string, from: number, heredocs: PendingHeredoc[], body: (from: number, to: number) => void): number {
  let at = from
  for (const heredoc of heredocs) {
    while (at < script.length) {
      const newline = script.indexOf('\n', at)
      const lineEnd = newline < 0 ? script.length : newline
      const line = script.slice(at, lineEnd)
      const next = newline < 0 ? script.length : newline + 1
      if ((heredoc.stripTabs ? line.replace(/^\t+/, '') : line) === heredoc.delimiter) {
        at = next
        break
      }
      body(at, lineEnd)
      at = next
    }
  }
  return at
}

/**
 * The command with each `{{ … }}` replaced by a variable (double-quoted where it stands bare,
 * so it stays one word and is not globbed), and the reference each variable stands for. The
 * same reference written twice is one variable.
 */
export function commandWithVariables(command: string): {command: string; variables: Record<string, string>} {
  const quoting = quotingOfReferences(command)
  const variables: Record<string, string> = {}
  const names = new Map<string, string>()
  const replaced = command.replace(REFERENCE_ANYWHERE, (reference: string, at: number) => {
    const key = reference.replace(/\s+/g, '')
    let name = names.get(key)
    if (!name) {
      name = `${VALUE_VARIABLE_PREFIX}${names.size + 1}`
      names.set(key, name)
      variables[name] = reference
    }
    return quoting.get(at) === 'bare' ? `"\${${name}}"` : `\${${name}}`
  })
  return {command: replaced, variables}
}

/**
 * Environment variables bash or the dynamic loader read as code, a path to code or shell
 * settings: a value there could run something. BASH_* and LD_* as a whole.
 */
const INTERPRETED = new Set(['ENV', 'SHELLOPTS', 'BASHOPTS', 'PS1', 'PS2', 'PS3', 'PS4', 'PROMPT_COMMAND', 'IFS', 'PATH', 'CDPATH', 'GLOBIGNORE', 'HOME', 'POSIXLY_CORRECT'])

/** Why a shell step may not set this environment variable, or undefined when it may. */
export function refusedEnvName(name: string): string | undefined {
  if (name.startsWith(VALUE_VARIABLE_PREFIX)) return `${VALUE_VARIABLE_PREFIX}* are set by the engine for references left in the command: choose another name`
  if (INTERPRETED.has(name) || name.startsWith('BASH_') || name.startsWith('LD_')) return `${name} is read by bash or the dynamic loader, so a value there could run something: choose another name`
  return undefined
}
