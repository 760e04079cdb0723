import {readFileSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {FileError, InputError} from '../errors.js'
import {formatKeyPath, parseLocatedYaml, type KeyPath} from '../yaml.js'
import {configSchema, type FintechConfig} from './schema.js'

export const DEFAULT_CONFIG_FILE = 'fintech.config.yaml'

export interface LoadedConfig {
  file: string
  /** Directory that relative paths in the config (templates, parameter files) start from. */
  root: string
  config: FintechConfig
  /** Line of a key in the config file, for errors found after schema validation. */
  lineOf(path: KeyPath): number | undefined
}

export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(code === 'ENOENT' ? `${what} not found: ${file}` : `cannot read ${what} ${file}: ${(error as Error).message}`)
  }
}

/** Reads and validates the config; every error names the file, the key path and the line. */
export function loadConfig(path: string = DEFAULT_CONFIG_FILE): LoadedConfig {
  const file = resolve(path)
  const located = parseLocatedYaml(readTextFile(file, 'config file'), path)
  const parsed = configSchema.safeParse(located.value ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const keyPath = issue.path.filter((key): key is string | number => typeof key !== 'symbol')
    throw new FileError(path, issue.message, located.lineOf(keyPath), formatKeyPath(keyPath) || undefined)
  }
  return {file: path, root: dirname(file), config: parsed.data, lineOf: located.lineOf}
}
