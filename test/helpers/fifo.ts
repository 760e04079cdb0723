import {spawn, execFileSync, type ChildProcess} from 'node:child_process'

/**
 * Makes a named pipe at `path` with a writer waiting on it, so that code which wrongly reads
 * it gets `text` and an end instead of blocking the test forever. `stop` ends the writer.
 */
export function fedFifo(path: string, text: string): {stop: () => void} {
  execFileSync('mkfifo', [path])
  const writer: ChildProcess = spawn('sh', ['-c', 'printf "%s" "$1" > "$2"', 'sh', text, path], {stdio: 'ignore'})
  writer.on('error', () => undefined)
  return {stop: () => writer.kill('SIGKILL')}
}
