import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * A `cfn-lint` on PATH, for the duration of `body`, that appends its arguments (one line a
 * run) to the returned log and prints `stdout`, then exits with `exitCode`.
 */
export async function withFakeCfnLint<T>(output: {stdout: string; exitCode?: number}, body: (argvLog: string) => Promise<T>): Promise<T> {
  const bin = mkdtempSync(join(tmpdir(), 'fake-cfn-lint-'))
  const argvLog = join(bin, 'argv.log')
  writeFileSync(join(bin, 'output.json'), output.stdout)
  writeFileSync(join(bin, 'cfn-lint'), `#!/bin/sh\necho "$*" >> '${argvLog}'\ncat '${join(bin, 'output.json')}'\nexit ${output.exitCode ?? 0}\n`)
  chmodSync(join(bin, 'cfn-lint'), 0o755)
  const path = process.env.PATH
  process.env.PATH = `${bin}:${path}`
  try {
    return await body(argvLog)
  } finally {
    process.env.PATH = path
  }
}

/** One match as `cfn-lint --format json` prints it. */
export const cfnLintMatch = (file: string | null, line: number, column: number, rule: string, message: string) => ({
  Filename: file,
  Id: 'id',
  Level: rule.startsWith('E') ? 'Error' : 'Warning',
  Location: {Start: {LineNumber: line, ColumnNumber: column}, End: {LineNumber: line, ColumnNumber: column + 3}, Path: ['Resources']},
  Message: message,
  ParentId: null,
  Rule: {Id: rule, Description: '', ShortDescription: '', Source: ''},
})
