import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface CliExit {
  exitCode: number | null
  /** The signal that ended the process, when it did not exit by itself. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliProcess {
  /** Sends a real signal to the CLI process (SIGINT is what Ctrl-C sends). */
  kill(signal: NodeJS.Signals): void
  exited: Promise<CliExit>
}

/**
 * Starts the built CLI (`node bin/run.js ...args`) as a process of its own, so a test can send it
 * real signals and see its real exit. No terminal, CI=true; `env` on top of this process's.
 */
export function startCli(args: string[], env: Record<string, string>): CliProcess {
  if (!existsSync(join(root, 'dist/commands')) || !existsSync(join(root, 'oclif.manifest.json'))) throw new Error(`no built CLI in ${root}: run \`npm run build\` first`)
  const child = spawn(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, env: {...process.env, CI: 'true', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<CliExit>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exitCode, signal) => resolve({exitCode, signal, stdout, stderr}))
  })
  return {kill: (signal) => child.kill(signal), exited}
}
