import {execFileSync} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import {delimiter, dirname, join} from 'node:path'

/**
 * The folder of the Python that `python3` on PATH runs, when that `python3` is a version
 * manager's shim rather than the interpreter. pyenv's shims are bash scripts that run
 * `pyenv exec`: about 0.4 s and a dozen processes a call on the CI machine, against some 30 ms
 * for the interpreter itself, and the suite runs python3 and cfn-lint (a Python script) about a
 * hundred times. vitest.config.ts puts this folder first on PATH, as `pyenv exec` does for the
 * one command it runs, so the tests run the same Python and tools without the detour.
 */
export function shimmedPythonFolder(path = process.env.PATH ?? ''): string | undefined {
  const onPath = path
    .split(delimiter)
    .filter(Boolean)
    .find((folder) => executable(join(folder, 'python3')))
  if (!onPath) return undefined
  const interpreter = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {encoding: 'utf8', env: {...process.env, PATH: path}}).trim()
  const folder = dirname(interpreter)
  return folder === onPath ? undefined : folder
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
