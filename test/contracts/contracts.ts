import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const SCHEMA_DIR = join(ROOT, 'schemas')
export const SNAPSHOT_FILE = join(ROOT, 'test/contracts/commands.snapshot.json')

/** The parts of a command a script or a user relies on: renaming or dropping one breaks them. */
export interface FlagContract {
  name: string
  char?: string
  type: 'boolean' | 'option'
  required: boolean
  multiple: boolean
  allowNo?: boolean
  options?: string[]
  default?: unknown
}

export interface ArgContract {
  name: string
  required: boolean
  options?: string[]
  default?: unknown
}

export interface CommandContract {
  id: string
  flags: FlagContract[]
  args: ArgContract[]
}

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  required?: boolean
  multiple?: boolean
  allowNo?: boolean
  options?: string[]
  default?: unknown
}

interface ManifestCommand {
  id: string
  flags: Record<string, ManifestFlag>
  args?: Record<string, {name: string; required?: boolean; options?: string[]; default?: unknown}>
}

export function readManifest(root = ROOT): {commands: Record<string, ManifestCommand>} {
  return JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
}

/** Every command's id, flags and args from an oclif manifest, in a stable order. */
export function commandContracts(manifest: {commands: Record<string, ManifestCommand>}): CommandContract[] {
  return Object.values(manifest.commands)
    .map((command) => ({
      id: command.id,
      flags: Object.values(command.flags)
        .map((flag) => ({
          name: flag.name,
          ...(flag.char === undefined ? {} : {char: flag.char}),
          type: flag.type,
          required: flag.required ?? false,
          multiple: flag.multiple ?? false,
          ...(flag.allowNo ? {allowNo: true} : {}),
          ...(flag.options === undefined ? {} : {options: flag.options}),
          ...(flag.default === undefined ? {} : {default: flag.default}),
        }))
        .sort((a, b) => compare(a.name, b.name)),
      // Args stay in declaration order: their position is the contract.
      args: Object.values(command.args ?? {}).map((arg) => ({
        name: arg.name,
        required: arg.required ?? false,
        ...(arg.options === undefined ? {} : {options: arg.options}),
        ...(arg.default === undefined ? {} : {default: arg.default}),
      })),
    }))
    .sort((a, b) => compare(a.id, b.id))
}

/** Lines naming each command and flag that the current contracts add, drop or change against the snapshot. */
export function contractDifferences(snapshot: CommandContract[], current: CommandContract[]): string[] {
  const differences: string[] = []
  const before = new Map(snapshot.map((command) => [command.id, command]))
  const after = new Map(current.map((command) => [command.id, command]))
  for (const id of before.keys()) if (!after.has(id)) differences.push(`command ${id}: removed`)
  for (const [id, command] of after) {
    const old = before.get(id)
    if (!old) {
      differences.push(`command ${id}: added`)
      continue
    }
    differences.push(...entryDifferences(`command ${id} flag --`, old.flags, command.flags))
    differences.push(...entryDifferences(`command ${id} arg `, old.args, command.args))
    const order = (args: ArgContract[]) => args.map((arg) => arg.name).join(' ')
    if (order(old.args) !== order(command.args)) differences.push(`command ${id}: args were ${order(old.args)}, now ${order(command.args)}`)
  }
  return differences
}

function entryDifferences<T extends {name: string}>(label: string, before: T[], after: T[]): string[] {
  const differences: string[] = []
  const old = new Map(before.map((entry) => [entry.name, entry]))
  const now = new Map(after.map((entry) => [entry.name, entry]))
  for (const name of old.keys()) if (!now.has(name)) differences.push(`${label}${name}: removed`)
  for (const [name, entry] of now) {
    const previous = old.get(name)
    if (!previous) {
      differences.push(`${label}${name}: added ${JSON.stringify(entry)}`)
      continue
    }
    for (const key of new Set([...Object.keys(previous), ...Object.keys(entry)])) {
      const was = JSON.stringify((previous as Record<string, unknown>)[key])
      const is = JSON.stringify((entry as Record<string, unknown>)[key])
      if (was !== is) differences.push(`${label}${name}: ${key} was ${was ?? 'unset'}, now ${is ?? 'unset'}`)
    }
  }
  return differences
}

export function schemaFileOf(id: string): string {
  return join(SCHEMA_DIR, `${id.replaceAll(':', '-')}.json`)
}

/** The ids of the commands the build writes for the shipped runbooks: each is `runbook run NAME`, with its output. */
export function shippedRunbookIds(root = ROOT): string[] {
  return readdirSync(join(root, 'runbooks'))
    .filter((file) => file.endsWith('.yaml') && !existsSync(join(root, 'src/commands/runbook', file.replace(/\.yaml$/, '.ts'))))
    .map((file) => `runbook:${file.replace(/\.yaml$/, '')}`)
}

/** The command whose schema describes a command's --json output: a shipped runbook prints what `runbook run` prints. */
export function schemaIdOf(id: string, root = ROOT): string {
  return shippedRunbookIds(root).includes(id) ? 'runbook:run' : id
}

export function loadSchema(id: string): object {
  return JSON.parse(readFileSync(schemaFileOf(schemaIdOf(id)), 'utf8'))
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The source file of a command id under src/commands (a topic's own command is its index.ts). */
export function commandSource(id: string, root = ROOT): string | undefined {
  const base = join(root, 'src/commands', ...id.split(':'))
  return [`${base}.ts`, join(base, 'index.ts')].find((file) => existsSync(file))
}

/**
 * The JSON schema (draft 2020-12) of what each command's `run()` resolves to, which oclif prints for --json:
 * derived from the TypeScript types, so that `npm run contracts:update` shows a changed shape as a diff of schemas/.
 */
export function generateSchemas(ids: string[], root = ROOT): Map<string, object> {
  const files = new Map(ids.map((id) => [id, commandSource(id, root)]))
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {}})
  if (!parsed) throw new Error('cannot read tsconfig.json')
  const program = ts.createProgram({rootNames: [...files.values()].filter((file): file is string => file !== undefined), options: {...parsed.options, noEmit: true}})
  const checker = program.getTypeChecker()
  const schemas = new Map<string, object>()
  for (const [id, file] of files) {
    if (!file) throw new Error(`${id}: no source file under src/commands`)
    const source = program.getSourceFile(file)!
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((symbol) => symbol.name === 'default')
    if (!exported) throw new Error(`${file}: no default export`)
    const commandClass = checker.getTypeOfSymbolAtLocation(exported, source)
    const instance = commandClass.getConstructSignatures()[0]!.getReturnType()
    const run = instance.getProperty('run')
    if (!run) throw new Error(`${file}: no run()`)
    const returned = checker.getTypeOfSymbolAtLocation(run, source).getCallSignatures()[0]!.getReturnType()
    const result = checker.getAwaitedType(returned) ?? returned
    schemas.set(id, relaxKnownGaps(new SchemaWriter(checker, `${id} (${file.slice(root.length)})`).document(id, result)))
  }
  return schemas
}

/**
 * Fields the types promise but the output leaves out in some runs, so the schema says what is printed.
 * Each is a gap between a type and the code to close in src, not here.
 */
const KNOWN_GAPS: Record<string, {optional: string[]; why: string}> = {
  StackRunResult: {
    optional: ['outputs'],
    why: 'DeployStack spreads an outcome whose outputs is stack?.outputs over outputs: {}, so a dry run of a stack that does not exist yet prints no outputs',
  },
}

function relaxKnownGaps(schema: Schema): Schema {
  const defs = schema.$defs as Record<string, Schema> | undefined
  for (const [name, gap] of Object.entries(KNOWN_GAPS)) {
    const def = defs?.[name]
    if (!def || !Array.isArray(def.required)) continue
    const required = def.required.filter((property: string) => !gap.optional.includes(property))
    defs![name] = {...def, required, $comment: `not required though the type says so: ${gap.optional.join(', ')} (${gap.why})`}
  }
  return schema
}

type Schema = Record<string, unknown>

class SchemaWriter {
  private readonly defs = new Map<string, Schema>()
  private readonly names = new Map<ts.Type, string>()

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly where: string,
  ) {}

  document(id: string, type: ts.Type): Schema {
    const root = this.schema(type)
    const defs = Object.fromEntries([...this.defs].sort(([a], [b]) => compare(a, b)))
    return {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: `https://fintech.example/schemas/${id.replaceAll(':', '-')}.json`,
      title: `fintech ${id.replaceAll(':', ' ')} --json`,
      ...root,
      ...(this.defs.size ? {$defs: defs} : {}),
    }
  }

  private schema(type: ts.Type): Schema {
    const {checker} = this
    const flags = type.flags
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {}
    if (flags & ts.TypeFlags.StringLiteral) return {const: (type as ts.StringLiteralType).value}
    if (flags & ts.TypeFlags.NumberLiteral) return {const: (type as ts.NumberLiteralType).value}
    if (flags & ts.TypeFlags.BooleanLiteral) return {const: type === checker.getTrueType()}
    if (flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) return {type: 'string'}
    if (flags & ts.TypeFlags.Number) return {type: 'number'}
    if (flags & ts.TypeFlags.Boolean) return {type: 'boolean'}
    if (flags & ts.TypeFlags.Null) return {type: 'null'}
    if (type.isUnion()) return this.union(type.types)
    if (checker.isTupleType(type)) {
      const items = checker.getTypeArguments(type as ts.TypeReference).map((item) => this.schema(item))
      return {type: 'array', prefixItems: items, minItems: items.length, maxItems: items.length}
    }
    if (checker.isArrayType(type)) return {type: 'array', items: this.schema(checker.getTypeArguments(type as ts.TypeReference)[0]!)}
    if (flags & ts.TypeFlags.Object || type.isIntersection()) return this.object(type)
    throw new Error(`${this.where}: no JSON schema for type ${checker.typeToString(type)}`)
  }

  private union(members: ts.Type[]): Schema {
    const {checker} = this
    const present = members.filter((member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)))
    const hasTrue = present.includes(checker.getTrueType())
    const hasFalse = present.includes(checker.getFalseType())
    const rest = present.filter((member) => !(hasTrue && hasFalse && member.flags & ts.TypeFlags.BooleanLiteral))
    const schemas: Schema[] = rest.map((member) => this.schema(member))
    if (hasTrue && hasFalse) schemas.push({type: 'boolean'})
    if (schemas.length === 1) return schemas[0]!
    // Sorted: the checker orders a union's members by when it met them, which a new import can change.
    if (schemas.every((schema) => 'const' in schema)) return {enum: schemas.map((schema) => schema.const).sort((a, b) => compare(String(a), String(b)))}
    return {anyOf: schemas}
  }

  private object(type: ts.Type): Schema {
    const symbol = type.aliasSymbol ?? type.getSymbol()
    if (symbol?.name === 'Date') return {type: 'string', description: 'an ISO 8601 date and time'}
    if (symbol && ['Map', 'Set', 'Promise', 'Function'].includes(symbol.name)) throw new Error(`${this.where}: a ${symbol.name} does not print as JSON`)
    const name = symbol && !symbol.name.startsWith('__') ? symbol.name : undefined
    if (name) {
      const known = this.names.get(type)
      if (known) return {$ref: `#/$defs/${known}`}
      let key = name
      for (let count = 2; this.defs.has(key); count++) key = `${name}${count}`
      this.names.set(type, key)
      this.defs.set(key, {})
      this.defs.set(key, this.shape(type))
      return {$ref: `#/$defs/${key}`}
    }
    return this.shape(type)
  }

  private shape(type: ts.Type): Schema {
    const {checker} = this
    const properties: Record<string, Schema> = {}
    const required: string[] = []
    for (const property of checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0]
      const propertyType = declaration ? checker.getTypeOfSymbolAtLocation(property, declaration) : checker.getTypeOfSymbol(property)
      if (propertyType.getCallSignatures().length > 0) continue
      properties[property.name] = this.schema(propertyType)
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 || (propertyType.isUnion() && propertyType.types.some((member) => member.flags & ts.TypeFlags.Undefined))
      if (!optional) required.push(property.name)
    }
    const index = checker.getIndexInfosOfType(type).find((info) => info.keyType.flags & ts.TypeFlags.String)
    return {
      type: 'object',
      ...(Object.keys(properties).length ? {properties} : {}),
      ...(required.length ? {required} : {}),
      additionalProperties: index ? this.schema(index.type) : false,
    }
  }
}
