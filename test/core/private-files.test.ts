import {chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {jsonlAuditSink} from '../../src/core/audit/audit-log.js'
import {appendPrivateFile, replacePrivateFile, writePrivateFile} from '../../src/core/private-files.js'

const modeOf = (path: string) => statSync(path).mode & 0o777

// The widest umask a user could have: whatever fintech gets, it must narrow itself.
let previousUmask: number
beforeEach(() => {
  previousUmask = process.umask(0)
})
afterEach(() => {
  process.umask(previousUmask)
})

describe('files fintech keeps for the user', () => {
  it('the audit log is 0600 in folders created 0700, even under umask 000', () => {
    const root = mkdtempSync(join(tmpdir(), 'fintech-private-'))
    const log = join(root, 'state', 'fintech', 'audit.jsonl')
    jsonlAuditSink(log, () => 'arn:aws:iam::111111111111:user/alice').record({env: 'dev', action: 'deploy', result: 'ok'})
    expect(modeOf(log)).toBe(0o600)
    expect(modeOf(join(root, 'state', 'fintech'))).toBe(0o700)
    expect(modeOf(join(root, 'state'))).toBe(0o700)
    expect(JSON.parse(readFileSync(log, 'utf8'))).toMatchObject({env: 'dev', action: 'deploy', result: 'ok', caller: 'arn:aws:iam::111111111111:user/alice'})
  })

  it('narrows a file an older version left readable, and keeps its content', () => {
    const root = mkdtempSync(join(tmpdir(), 'fintech-private-'))
    const log = join(root, 'audit.jsonl')
    writeFileSync(log, '{"old":true}\n', {mode: 0o644})
    chmodSync(log, 0o644)
    appendPrivateFile(log, '{"new":true}\n')
    expect(modeOf(log)).toBe(0o600)
    expect(readFileSync(log, 'utf8')).toBe('{"old":true}\n{"new":true}\n')
  })

  it('replaces a file atomically as 0600 and leaves no partial file behind', () => {
    const root = mkdtempSync(join(tmpdir(), 'fintech-private-'))
    const state = join(root, 'runs', 'run.json')
    replacePrivateFile(state, 'one')
    replacePrivateFile(state, 'two')
    expect(readFileSync(state, 'utf8')).toBe('two')
    expect(modeOf(state)).toBe(0o600)
    expect(modeOf(join(root, 'runs'))).toBe(0o700)
    expect(() => statSync(`${state}.${process.pid}.tmp`)).toThrow(/ENOENT/)
  })

  it('an exclusive write refuses an existing file (a lock) and leaves it as it was', () => {
    const root = mkdtempSync(join(tmpdir(), 'fintech-private-'))
    const lock = join(root, 'run.lock')
    writePrivateFile(lock, 'mine', {exclusive: true})
    expect(() => writePrivateFile(lock, 'theirs', {exclusive: true})).toThrow(/EEXIST/)
    expect(readFileSync(lock, 'utf8')).toBe('mine')
    expect(modeOf(lock)).toBe(0o600)
  })

  it('leaves the mode of a folder that already existed alone (it may be /tmp or a shared folder)', () => {
    const shared = join(mkdtempSync(join(tmpdir(), 'fintech-private-')), 'team-audit')
    mkdirSync(shared)
    chmodSync(shared, 0o775)
    appendPrivateFile(join(shared, 'audit.jsonl'), 'line\n')
    expect(modeOf(shared)).toBe(0o775)
    expect(modeOf(join(shared, 'audit.jsonl'))).toBe(0o600)
  })
})
