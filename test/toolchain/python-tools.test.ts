import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {shimmedPythonFolder} from '../helpers/python-tools.js'

// The interpreter itself, whatever PATH (and vitest.config.ts) made of python3.
const interpreter = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {encoding: 'utf8'}).trim()

function folderWithShim(): string {
  const folder = mkdtempSync(join(tmpdir(), 'fintech-shim-'))
  writeFileSync(join(folder, 'python3'), `#!/usr/bin/env bash\nexec ${JSON.stringify(interpreter)} "$@"\n`, {mode: 0o755})
  return folder
}

describe('the Python the tests run', () => {
  it('is found behind a shim: the folder of the interpreter the shim runs', () => {
    expect(shimmedPythonFolder([folderWithShim(), '/usr/bin', '/bin'].join(delimiter))).toBe(dirname(interpreter))
  })

  it('is left alone when python3 on PATH is the interpreter', () => {
    expect(shimmedPythonFolder([dirname(interpreter), '/usr/bin', '/bin'].join(delimiter))).toBeUndefined()
  })

  it('is left alone when there is no python3 on PATH', () => {
    expect(shimmedPythonFolder(mkdtempSync(join(tmpdir(), 'fintech-empty-')))).toBeUndefined()
  })

  it('runs python3 itself in these tests, not a shim: vitest.config.ts put its folder first on PATH', () => {
    const first = process.env.PATH!.split(delimiter).map((folder) => join(folder, 'python3')).find((file) => existsSync(file))
    expect(first).toBe(join(dirname(interpreter), 'python3'))
  })
})
