import {Config} from '@oclif/core'
import {fileURLToPath} from 'node:url'
import {assertJsonContract} from '../contracts/json-contract.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let config: Config | undefined

export interface CliRun {
  stdout: string
  stderr: string
  exitCode: number
  /** Parsed stdout when --json was given. */
  json?: any
  /** Each line of stdout parsed, when --json printed one JSON object per line (a --watch). */
  jsonLines?: any[]
}

type CommandClass = {run(argv: string[], config: Config): Promise<unknown>}

/**
 * Runs a command class from src in-process, the way bin/run.js would, capturing stdout,
 * stderr and the exit code (thrown oclif errors and process.exitCode alike).
 */
export async function runCli(command: CommandClass, argv: string[]): Promise<CliRun> {
  config ??= await Config.load(root)
  let stdout = ''
  let stderr = ''
  const writeOut = process.stdout.write.bind(process.stdout)
  const writeErr = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write
  let exitCode = 0
  process.exitCode = undefined
  try {
    await command.run(argv, config)
    exitCode = Number(process.exitCode ?? 0)
  } catch (error) {
    const oclif = (error as {oclif?: {exit?: number}}).oclif
    if (oclif?.exit === undefined) {
      process.stdout.write = writeOut
      process.stderr.write = writeErr
      throw error
    }
    exitCode = oclif.exit
    stderr += `${(error as Error).message}\n`
  } finally {
    process.stdout.write = writeOut
    process.stderr.write = writeErr
    process.exitCode = undefined
  }
  let json: unknown
  let jsonLines: unknown[] | undefined
  if (argv.includes('--json') && stdout.trim()) {
    const lines = stdout.trim().split('\n')
    // Pretty-printed JSON spans lines that do not parse alone; JSON lines each start a new object.
    if (lines.length > 1 && lines.every((line) => line.startsWith('{') && line.endsWith('}'))) jsonLines = lines.map((line) => JSON.parse(line))
    else json = JSON.parse(stdout)
    // Every --json run of the suite also checks the command's output contract (schemas/).
    for (const document of jsonLines ?? [json]) assertJsonContract(command as unknown as Function, document)
  }
  return {stdout, stderr, exitCode, json, ...(jsonLines ? {jsonLines} : {})}
}
