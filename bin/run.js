#!/usr/bin/env node
// Start-up is most of what `--version` and `--help` cost, so this file imports only Node's own
// modules before it knows it needs oclif.
import {lstatSync, readFileSync} from 'node:fs'
import module from 'node:module'
import {arch, platform, release} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const argv = process.argv.slice(2)
/** Mirrors asksForHelp of src/cli/help-cache.ts, so that other commands do not load that file. */
const asksForHelp = (args) => args.length === 0 || args[0] === 'help' || args.includes('--help')

/** oclif's version flags: it answers them only as the first argument, and so does this file. */
const versionFlags = new Set(['--version', ...(pjson.oclif.additionalVersionFlags ?? [])])

/**
 * oclif reports WSL as the platform `wsl` (through is-wsl, which also checks for containers).
 * Any sign of a Microsoft kernel leaves the answer to oclif; everywhere else the platform is
 * os.platform(), as in oclif.
 */
function maybeWsl() {
  if (platform() !== 'linux') return false
  if (release().toLowerCase().includes('microsoft')) return true
  try {
    if (readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return true
  } catch {}
  return ['/proc/sys/fs/binfmt_misc/WSLInterop', '/run/WSL'].some((path) => {
    try {
      lstatSync(path)
      return true
    } catch {
      return false
    }
  })
}

/**
 * Node 22+ keeps compiled code between runs when asked. Its default folder is shared under
 * /tmp and readable by every user, so the cache goes next to fintech's others, in a folder
 * only this user may read or write; none when that folder cannot be made so.
 */
function enableCompileCache({fintechCacheFolder, isOwnPrivateFolder}) {
  if (typeof module.enableCompileCache !== 'function') return
  const directory = join(fintechCacheFolder(), 'node-compile-cache')
  if (isOwnPrivateFolder(directory)) module.enableCompileCache(directory)
}

if (versionFlags.has(argv[0]) && !maybeWsl()) {
  process.stdout.write(`${pjson.name}/${pjson.version || '0.0.0'} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`)
} else {
  enableCompileCache(await import('../dist/core/private-files.js'))
  // Help asked again is answered from what oclif printed the first time (src/cli/help-cache.ts).
  const helpCache = asksForHelp(argv) ? await import('../dist/cli/help-cache.js') : undefined
  const helpEntry = helpCache?.helpCacheEntry({root: fileURLToPath(new URL('..', import.meta.url)), argv, env: process.env, stdout: process.stdout})
  const cached = helpEntry && helpCache.cachedHelp(helpEntry)
  if (cached === undefined) {
    const recording = helpEntry && helpCache.recordHelp(helpEntry, process.stdout)
    // One oclif, and SDK clients with only the commands we use (src/cli/bundled-modules.ts).
    const {useBundledModules} = await import('../dist/cli/bundled-modules.js')
    useBundledModules(new URL('../dist/', import.meta.url))
    // @oclif/core checks at import that Node satisfies its own engines range (older than
    // ours), loading 47 files of semver to do it: about 24 ms of every start.
    const engineWarningWasSet = 'OCLIF_DISABLE_ENGINE_WARNING' in process.env
    if (!engineWarningWasSet) process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
    const {execute, settings} = await import('@oclif/core')
    if (!engineWarningWasSet) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
    // This file runs the built CLI. Under NODE_ENV development or test oclif would otherwise
    // load tsx and TypeScript and run src/ instead of dist/ (bin/dev.js is for that).
    settings.enableAutoTranspile = false
    await execute({dir: import.meta.url})
    recording?.keep(!process.exitCode)
  } else {
    process.stdout.write(cached)
  }
}
