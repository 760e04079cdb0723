import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {cachedHelp, helpCacheEntry, recordHelp, type HelpInvocation} from '../../src/cli/help-cache.js'

const scratch = mkdtempSync(join(tmpdir(), 'fintech-help-cache-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

/** An installed fintech with two commands in a topic and the runbook topic, and a private cache folder. */
function install(version = '1.2.3') {
  const root = mkdtempSync(join(scratch, 'install-'))
  const commands = {'deploy': {aliases: []}, 'cost:report': {aliases: ['cost:show']}, 'runbook:run': {aliases: []}, 'runbook:failover': {aliases: []}}
  writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify({version, commands}))
  const cache = mkdtempSync(join(scratch, 'cache-'))
  return {root, cache}
}

function invocation(root: string, cache: string, argv: string[], env: NodeJS.ProcessEnv = {}, stdout: HelpInvocation['stdout'] = {isTTY: false}): HelpInvocation {
  return {root, argv, env: {FINTECH_CACHE_DIR: cache, HOME: cache, ...env}, stdout}
}

describe('which questions have a kept answer', () => {
  const {root, cache} = install()
  const fileFor = (argv: string[], env?: NodeJS.ProcessEnv) => helpCacheEntry(invocation(root, cache, argv, env))?.file

  it('root, command, alias and topic help, asked with --help, help or nothing', () => {
    for (const argv of [[], ['--help'], ['help'], ['deploy', '--help'], ['help', 'deploy'], ['cost', 'report', '--help'], ['cost:show', '--help'], ['cost', '--help'], ['runbook', 'run', '--help'], ['runbook', 'failover', '--help']]) {
      expect(fileFor(argv), argv.join(' ')).toMatch(new RegExp(`^${cache}/help/[0-9a-f]{12}-[0-9a-f]{32}\\.txt$`))
    }
  })

  it('not a command run, help with flags or values, unknown commands, the runbook topic, or with the cache turned off', () => {
    for (const argv of [['deploy'], ['deploy', '--stage', 'all', '--help'], ['deploy', '--help', '--config', 'x.yaml'], ['nosuch', '--help'], ['help', 'nosuch'], ['runbook', '--help'], ['help', 'runbook'], ['runbook', 'warm-cache', '--help']]) {
      expect(fileFor(argv), argv.join(' ')).toBeUndefined()
    }
    expect(fileFor(['deploy', '--help'], {FINTECH_HELP_CACHE: 'off'})).toBeUndefined()
    expect(fileFor(['deploy', '--help'], {FINTECH_HELP_CACHE: '0'})).toBeUndefined()
  })

  it('another answer for another question, width, terminal, colour setting or theme; the same for unrelated variables', () => {
    const base = helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!.file
    const others = [
      helpCacheEntry(invocation(root, cache, ['help', 'deploy'])),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {}, {isTTY: true, columns: 120})),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {}, {isTTY: true, columns: 80})),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {NO_COLOR: '1'})),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {FORCE_COLOR: '3'})),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {TERM: 'xterm-256color'})),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {OCLIF_COLUMNS: '60'})),
      helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {GITHUB_ACTIONS: 'true'})),
    ].map((entry) => entry!.file)
    expect(new Set([base, ...others]).size).toBe(others.length + 1)
    expect(helpCacheEntry(invocation(root, cache, ['deploy', '--help'], {PWD: '/elsewhere', AWS_PROFILE: 'x'}))!.file).toBe(base)

    mkdirSync(join(cache, '.config', 'fintech'), {recursive: true})
    writeFileSync(join(cache, '.config', 'fintech', 'theme.json'), '{"flag": "red"}')
    expect(helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!.file).not.toBe(base)
  })

  it('another build after a build, an install of another version or another Node rewrote the manifest', () => {
    const before = helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!
    utimesSync(join(root, 'oclif.manifest.json'), new Date(), new Date(Date.now() + 5000))
    const after = helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!
    expect(after.buildPrefix).not.toBe(before.buildPrefix)
    const otherVersion = install('1.2.4')
    expect(helpCacheEntry(invocation(otherVersion.root, cache, ['deploy', '--help']))!.buildPrefix).not.toBe(after.buildPrefix)
  })

  it('none when the cache folder is open to other users', () => {
    const open = mkdtempSync(join(scratch, 'open-'))
    mkdirSync(join(open, 'help'))
    chmodSync(join(open, 'help'), 0o777)
    expect(helpCacheEntry(invocation(root, open, ['deploy', '--help']))).toBeUndefined()
  })
})

/** A stream that keeps what is written to it, as process.stdout would print it. */
function fakeStdout() {
  const printed: string[] = []
  const stream = {write: (chunk: string) => (printed.push(chunk), true)} as unknown as NodeJS.WriteStream
  return {stream, printed}
}

describe('recording an answer', () => {
  it('passes every write through, and keeps the text 0600 once the run succeeded', () => {
    const {root, cache} = install()
    const entry = helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!
    const {stream, printed} = fakeStdout()
    const originalWrite = stream.write
    const recording = recordHelp(entry, stream)
    stream.write('USAGE\n')
    stream.write(Buffer.from('  $ fintech deploy\n') as unknown as string)
    expect(cachedHelp(entry)).toBeUndefined()
    recording.keep(true)
    expect(printed.map(String)).toEqual(['USAGE\n', '  $ fintech deploy\n'])
    expect(stream.write).toBe(originalWrite)
    expect(cachedHelp(entry)).toBe('USAGE\n  $ fintech deploy\n')
    expect(statSync(entry.file).mode & 0o777).toBe(0o600)
  })

  it('keeps nothing from a failed run or a run that printed nothing', () => {
    const {root, cache} = install()
    const entry = helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!
    const failed = recordHelp(entry, fakeStdout().stream)
    failed.keep(false)
    const silent = recordHelp(entry, fakeStdout().stream)
    silent.keep(true)
    expect(readdirSync(join(cache, 'help'))).toEqual([])
  })

  it("removes other builds' answers when it keeps one, and leaves this build's", () => {
    const {root, cache} = install()
    const deploy = helpCacheEntry(invocation(root, cache, ['deploy', '--help']))!
    const cost = helpCacheEntry(invocation(root, cache, ['cost', '--help']))!
    writeFileSync(join(cache, 'help', '000000000000-stale.txt'), 'old help')
    const first = fakeStdout()
    const recording = recordHelp(cost, first.stream)
    first.stream.write('COST\n')
    recording.keep(true)
    const second = fakeStdout()
    const again = recordHelp(deploy, second.stream)
    second.stream.write('DEPLOY\n')
    again.keep(true)
    expect(readdirSync(join(cache, 'help')).sort()).toEqual([deploy.file, cost.file].map((file) => file.slice(file.lastIndexOf('/') + 1)).sort())
    expect(readFileSync(cost.file, 'utf8')).toBe('COST\n')
  })
})
