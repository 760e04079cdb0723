import {LineCounter, isMap, isNode, isScalar, parseDocument, type Document, type Tags} from 'yaml'
import {FileError} from './errors.js'

export type KeyPath = ReadonlyArray<string | number>

export interface Position {
  line: number
  column: number
}

export interface LocatedYaml {
  value: unknown
  /** 1-based line of the node at `path` (of its key, for a mapping entry), or of its nearest existing parent. */
  lineOf(path: KeyPath): number | undefined
  positionOf(path: KeyPath): Position | undefined
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
  const at = (offset: number): Position => {
    const {line, col} = lineCounter.linePos(offset)
    return {line, column: col}
  }
  const positionOf = (path: KeyPath): Position | undefined => {
    for (let depth = path.length; depth >= 0; depth--) {
      if (depth > 0) {
        // A mapping entry is shown at its key, where the user reads the name.
        const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true)
        const key = path[depth - 1]
        if (isMap(parent)) {
          const pair = parent.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === key)
          if (pair && isNode(pair.key) && pair.key.range) return at(pair.key.range[0])
        }
      }
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)
      if (isNode(node) && node.range) return at(node.range[0])
    }
    return undefined
  }
  return {value: doc.toJS({maxAliasCount: 100}), lineOf: (path) => positionOf(path)?.line, positionOf}
}

export function formatKeyPath(path: KeyPath): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key), '')
}
