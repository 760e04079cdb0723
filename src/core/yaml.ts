import {LineCounter, parseDocument, isNode, type Document, type Tags} from 'yaml'
import {FileError} from './errors.js'

export type KeyPath = ReadonlyArray<string | number>

export interface LocatedYaml {
  value: unknown
  /** 1-based line of the node at `path`, or of its nearest existing parent. */
  lineOf(path: KeyPath): number | undefined
}

/**
 * Parses YAML (or JSON, which is YAML) keeping the positions of nodes so that a later
 * schema error can name the line the user has to fix.
 */
export function parseLocatedYaml(text: string, file: string, customTags?: Tags): LocatedYaml {
  const lineCounter = new LineCounter()
  const doc: Document = parseDocument(text, {lineCounter, customTags, prettyErrors: false, uniqueKeys: true})
  const firstError = doc.errors[0]
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line
    throw new FileError(file, firstError.message.split('\n')[0] ?? 'invalid YAML', line)
  }
  const lineOf = (path: KeyPath): number | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line
    }
    return undefined
  }
  return {value: doc.toJS({maxAliasCount: 100}), lineOf}
}

export function formatKeyPath(path: KeyPath): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key), '')
}
