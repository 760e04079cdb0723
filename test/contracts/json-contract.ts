import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {ROOT, loadSchema, schemaFileOf, schemaIdOf} from './contracts.js'

const ajv = new Ajv2020({allErrors: true, strict: true})
const validators = new Map<string, ValidateFunction>()
let idsByClassName: Map<string, string> | undefined

/** Each command's id by the name of the class its file exports: a command class in a test names its command. */
export function commandIdsByClassName(root = ROOT): Map<string, string> {
  const ids = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) {
        const className = /export default class (\w+)/.exec(readFileSync(path, 'utf8'))?.[1]
        if (!className) continue
        const id = relative(join(root, 'src/commands'), path).replace(/(\/index)?\.ts$/, '').replaceAll('/', ':')
        if (ids.has(className)) throw new Error(`two commands export a class named ${className}: ${ids.get(className)} and ${id}`)
        ids.set(className, id)
      }
    }
  }
  walk(join(root, 'src/commands'))
  return ids
}

/** The id of the command a class runs, or undefined for a class no command file exports. */
export function commandIdOf(command: Function): string | undefined {
  idsByClassName ??= commandIdsByClassName()
  // A shipped runbook's command is a class written at build time: it prints what `runbook run` prints.
  return idsByClassName.get(command.name) ?? (extendsClassNamed(command, 'RunbookStartCommand') ? 'runbook:run' : undefined)
}

function extendsClassNamed(command: Function, name: string): boolean {
  for (let parent = Object.getPrototypeOf(command); parent && parent !== Function.prototype; parent = Object.getPrototypeOf(parent)) {
    if (parent.name === name) return true
  }
  return false
}

/** Problems of a --json document against its command's schema, one line each, naming the path in the document. */
export function contractProblems(id: string, document: unknown): string[] {
  const schemaId = schemaIdOf(id)
  let validate = validators.get(schemaId)
  if (!validate) {
    validate = ajv.compile(loadSchema(schemaId))
    validators.set(schemaId, validate)
  }
  if (validate(document)) return []
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}${error.params && Object.keys(error.params).length ? ` ${JSON.stringify(error.params)}` : ''}`)
}

/** oclif prints `{error: {name, message, ...}}` for --json when a command fails: that is oclif's shape, not the command's. */
function isErrorEnvelope(document: unknown): boolean {
  if (typeof document !== 'object' || document === null) return false
  const keys = Object.keys(document)
  const error = (document as {error?: unknown}).error
  return keys.length === 1 && keys[0] === 'error' && typeof error === 'object' && error !== null && 'message' in error && 'name' in error
}

/** Throws when a command's --json result does not match the schema in schemas/ (`npm run contracts:update` after a deliberate change). */
export function assertJsonContract(command: Function, document: unknown): void {
  const id = commandIdOf(command)
  if (id === undefined || isErrorEnvelope(document)) return
  const problems = contractProblems(id, document)
  if (problems.length === 0) return
  const file = relative(ROOT, schemaFileOf(schemaIdOf(id)))
  throw new Error(`fintech ${id.replaceAll(':', ' ')} --json does not match ${file} (run npm run contracts:update if the change is meant):\n  ${problems.join('\n  ')}`)
}
