import {CORE_SCHEMA, Type, load, type Schema} from 'js-yaml'
import {createRequire} from 'node:module'
import type {Document, Tags, YAMLMap, YAMLSeq} from 'yaml'
import {FileError} from './errors.js'

/**
 * `yaml` is some 70 files that a command which never needs a position would load for nothing
 * (about 40 ms of every start), so it is required on the first located parse.
 */
let yamlLibrary: typeof import('yaml') | undefined
const yamlWithPositions = () => (yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'))

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

/** A local tag such as CloudFormation's `!Ref`, on one kind of node. */
export interface LocalTag {
  tag: `!${string}`
  kind: 'scalar' | 'sequence' | 'mapping'
  /** The value the tagged node stands for, given the node's own plain value. */
  resolve(value: unknown): unknown
}

/**
 * One set of local tags, read alike by both parsers this module uses: js-yaml reads values
 * (about four times faster than `yaml` on our templates, bench section 1), and `yaml` keeps node
 * positions, which only an error message needs.
 */
export class YamlTags {
  readonly fast: Schema
  readonly located: Tags

  constructor(tags: readonly LocalTag[]) {
    this.fast = CORE_SCHEMA.extend(tags.map((tag) => new Type(tag.tag, {kind: tag.kind, construct: (value) => tag.resolve(value)})))
    this.located = tags.map((tag) =>
      tag.kind === 'scalar'
        ? {tag: tag.tag, resolve: (value: string) => tag.resolve(value)}
        : {tag: tag.tag, collection: tag.kind === 'sequence' ? ('seq' as const) : ('map' as const), resolve: (node: YAMLSeq | YAMLMap) => tag.resolve(node.toJSON())},
    )
  }
}

const NO_LOCAL_TAGS = new YamlTags([])

/**
 * Constructs the two parsers read differently, so a document that has one is read by `yaml`
 * alone: anchors (only `yaml` caps how far aliases expand), explicit core tags such as `!!binary`,
 * and numbers YAML 1.2 leaves as strings (`0b101`, `+.5`).
 */
const READ_DIFFERENTLY = /(?:^|[\s[{,])&[^\s[\]{},]|!!|\b0b[01]|\+\.\d/m

/**
 * Parses YAML (or JSON, which is YAML) so that a later schema error can name the line the user
 * has to fix. Node positions are worked out on the first question, since most reads never ask;
 * a document that is not valid YAML is reported with `yaml`'s words and line.
 */
export function parseLocatedYaml(text: string, file: string, tags: YamlTags = NO_LOCAL_TAGS): LocatedYaml {
  let value: unknown
  try {
    if (READ_DIFFERENTLY.test(text)) return locate(text, file, tags)
    value = load(text, {schema: tags.fast, filename: file}) ?? null
  } catch {
    // js-yaml is stricter than `yaml` in places (an unknown tag); `yaml` has the last word.
    return locate(text, file, tags)
  }
  let located: LocatedYaml | undefined
  const positionOf = (path: KeyPath) => (located ??= locate(text, file, tags)).positionOf(path)
  return {value, lineOf: (path) => positionOf(path)?.line, positionOf}
}

function locate(text: string, file: string, tags: YamlTags): LocatedYaml {
  const {LineCounter, isMap, isNode, isScalar, parseDocument} = yamlWithPositions()
  const lineCounter = new LineCounter()
  const doc: Document = parseDocument(text, {lineCounter, customTags: tags.located, prettyErrors: false, uniqueKeys: true})
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
