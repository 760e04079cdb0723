import {spawnSync} from 'node:child_process'
import {chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import module from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {makeProject} from '../helpers/project.js'
import {WARM_CACHE} from '../helpers/runbook-fakes.js'

/** The built CLI as users start it (`npm run build` first), against oclif as node_modules has it. */
const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin/run.js')
const cacheRoot = mkdtempSync(join(tmpdir(), 'fintech-startup-'))
afterAll(() => rmSync(cacheRoot, {recursive: true, force: true}))

/**
 * `node ...args` as a user's shell starts it. NODE_ENV is not vitest's "test": under "test" oclif
 * would load the TypeScript sources in src/ instead of the built files.
 */
function node(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {...process.env, NODE_ENV: 'production', CI: 'true', FINTECH_CACHE_DIR: cacheRoot, ...env},
  })
  return {status: child.status, stdout: child.stdout, stderr: child.stderr}
}

/** What oclif itself prints for `args`: its execute(), loaded from node_modules, no bin/run.js in the way. */
function oclifItself(args: string[]) {
  const script = `const {execute} = await import('@oclif/core'); await execute({dir: ${JSON.stringify(bin)}, args: ${JSON.stringify(args)}})`
  return node(['--input-type=module', '-e', script])
}

/** The CommonJS files a run of the built CLI loaded, as Node's module debug log names them. */
function loadedFiles(args: string[], env: NodeJS.ProcessEnv = {}) {
  const {status, stderr} = node([bin, ...args], {NODE_DEBUG: 'module', ...env})
  expect(status).toBe(0)
  return [...stderr.matchAll(/load "([^"]+)" for module/g)].map((match) => match[1]!)
}

/** The ES modules a run of the built CLI (`cli`, bin/run.js of this project unless given) linked, as Node's ESM debug log names them. */
function loadedEsModules(args: string[], cli = bin) {
  const {status, stderr} = node([cli, ...args], {NODE_DEBUG: 'esm'})
  expect(status).toBe(0)
  return [...new Set([...stderr.matchAll(/Storing (file:\S+)/g)].map((match) => fileURLToPath(match[1]!)))]
}

const oclifInNodeModules = (file: string) => file.includes(join('node_modules', '@oclif', 'core'))
const bundledOclif = join(root, 'dist', 'oclif-core.cjs')

describe('fintech --version, -v and version', () => {
  for (const flag of ['--version', '-v', 'version']) {
    it(`${flag} prints what oclif prints for it, and exits 0`, () => {
      const fast = node([bin, flag])
      const oclif = oclifItself([flag])
      expect(oclif.status).toBe(0)
      expect(oclif.stdout).toBe(`fintech/0.1.0 ${process.platform}-${process.arch} node-${process.version}\n`)
      expect(fast).toEqual({status: 0, stdout: oclif.stdout, stderr: ''})
    })
  }

  it('answers without loading oclif, which --help does load when its answer is not kept', () => {
    const version = loadedFiles(['--version'])
    expect(version.filter((file) => oclifInNodeModules(file) || file === bundledOclif)).toEqual([])
    expect(loadedFiles(['--help'], {FINTECH_HELP_CACHE: 'off'}).some((file) => oclifInNodeModules(file) || file === bundledOclif)).toBe(true)
  })

  it('leaves a version flag after a command to the command', () => {
    const {status, stderr} = node([bin, 'deploy', '--version'])
    expect(status).toBe(2)
    expect(stderr).toContain('Nonexistent flag: --version')
  })
})

describe('the built files, whatever NODE_ENV says', () => {
  // Under NODE_ENV development or test, oclif's default is to load tsx and TypeScript and run
  // src/commands instead of dist/commands; bin/run.js turns that off (bin/dev.js runs src).
  const offlinePlan = ['deploy', '--stage', 'all', '--env', 'dev', '--dry-run', '--offline']
  const transpilers = (file: string) => /node_modules[/\\](tsx|typescript)[/\\]/.test(file)

  for (const nodeEnv of ['development', 'test']) {
    it(`NODE_ENV=${nodeEnv}: loads neither tsx nor TypeScript, and prints what a production run prints`, () => {
      const files = loadedFiles(offlinePlan, {NODE_ENV: nodeEnv})
      expect(files.filter(transpilers)).toEqual([])
      expect(node([bin, ...offlinePlan], {NODE_ENV: nodeEnv})).toEqual(node([bin, ...offlinePlan]))
    })
  }
})

const registersHooks = typeof (module as {registerHooks?: unknown}).registerHooks === 'function'

describe.runIf(registersHooks)('oclif and zod bundled into dist/ (Node 22.15+)', () => {
  it('is the only oclif a command, the help class and the plugins load', () => {
    for (const args of [['deploy', '--help'], ['autocomplete', 'script', 'bash'], ['deploy', '--stage', 'all', '--env', 'dev', '--dry-run', '--offline']]) {
      const files = loadedFiles(args)
      expect(files, args.join(' ')).toContain(bundledOclif)
      expect(files.filter(oclifInNodeModules), args.join(' ')).toEqual([])
    }
  })

  it('reads the config with zod from dist/zod.mjs, one file, and none of the installed package', () => {
    const modules = loadedEsModules(['deploy', '--stage', 'all', '--env', 'dev', '--dry-run', '--offline'])
    expect(modules).toContain(join(root, 'dist', 'zod.mjs'))
    expect(modules.filter((file) => file.includes(join('node_modules', 'zod')))).toEqual([])
  })

  it('does so too where fintech is installed in a node_modules, its dependencies beside it', () => {
    // As npm lays out a global or project install: <prefix>/node_modules/fintech, dependencies hoisted next to it.
    const prefix = join(mkdtempSync(join(cacheRoot, 'installed-')), 'node_modules')
    const installed = join(prefix, 'fintech')
    for (const part of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(root, part), join(installed, part), {recursive: true})
    for (const dependency of readdirSync(join(root, 'node_modules'))) {
      if (!dependency.startsWith('.')) symlinkSync(join(root, 'node_modules', dependency), join(prefix, dependency))
    }
    const modules = loadedEsModules(['deploy', '--stage', 'all', '--env', 'dev', '--dry-run', '--offline', '--config', join(root, 'fintech.config.yaml')], join(installed, 'bin', 'run.js'))
    expect(modules).toContain(join(installed, 'dist', 'zod.mjs'))
    expect(modules.filter((file) => file.includes(join('node_modules', 'zod')))).toEqual([])
  })

  for (const args of [['--help'], ['deploy', '--help'], ['runbook', '--help'], ['autocomplete', 'script', 'bash'], ['nosuch'], ['deploy', '--stage', 'nope', '--env', 'dev']]) {
    it(`prints for \`${args.join(' ')}\` what oclif from node_modules prints, with the same exit code`, () => {
      const bundled = node([bin, ...args])
      expect(bundled).toEqual(oclifItself(args))
    })
  }
})

const compileCache = typeof (module as {enableCompileCache?: unknown}).enableCompileCache === 'function'

describe.runIf(compileCache)("Node's compile cache (Node 22+)", () => {
  it('is kept in a 0700 folder under the fintech cache folder, not in the shared one under /tmp', () => {
    const home = mkdtempSync(join(cacheRoot, 'fresh-'))
    expect(node([bin, '--help'], {FINTECH_CACHE_DIR: home}).status).toBe(0)
    const folder = join(home, 'node-compile-cache')
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    const [nodeFolder] = readdirSync(folder)
    expect(nodeFolder).toContain(process.version)
    expect(readdirSync(join(folder, nodeFolder!)).length).toBeGreaterThan(0)
  })

  it('is not used when its folder is open to other users', () => {
    const home = mkdtempSync(join(cacheRoot, 'open-'))
    const folder = join(home, 'node-compile-cache')
    mkdirSync(folder)
    chmodSync(folder, 0o777)
    const {status, stdout} = node([bin, '--help'], {FINTECH_CACHE_DIR: home})
    expect(status).toBe(0)
    expect(stdout).toContain('USAGE')
    expect(readdirSync(folder)).toEqual([])
  })
})

const loadsOclif = (files: string[]) => files.some((file) => oclifInNodeModules(file) || file === bundledOclif)

describe('help asked again (the help cache)', () => {
  for (const args of [['--help'], ['deploy', '--help'], ['help', 'cost', 'report'], ['cost', '--help'], []]) {
    it(`prints for \`${args.join(' ')}\` what oclif prints, the second time without loading oclif`, () => {
      const home = mkdtempSync(join(cacheRoot, 'help-'))
      const oclif = oclifItself(args)
      expect(oclif.stdout).toContain('USAGE')
      const first = node([bin, ...args], {FINTECH_CACHE_DIR: home, NODE_DEBUG: 'module'})
      const second = node([bin, ...args], {FINTECH_CACHE_DIR: home, NODE_DEBUG: 'module'})
      for (const run of [first, second]) {
        expect(run.status).toBe(oclif.status)
        expect(run.stdout).toBe(oclif.stdout)
      }
      const filesOf = (stderr: string) => [...stderr.matchAll(/load "([^"]+)" for module/g)].map((match) => match[1]!)
      expect(loadsOclif(filesOf(first.stderr))).toBe(true)
      expect(loadsOclif(filesOf(second.stderr))).toBe(false)
    })
  }

  it('keeps a coloured answer apart from a plain one', () => {
    const home = mkdtempSync(join(cacheRoot, 'colour-'))
    const plain = node([bin, 'deploy', '--help'], {FINTECH_CACHE_DIR: home})
    const coloured = node([bin, 'deploy', '--help'], {FINTECH_CACHE_DIR: home, FORCE_COLOR: '1'})
    expect(plain.stdout).not.toContain('\u001B[')
    expect(coloured.stdout).toContain('\u001B[')
    expect(coloured.stdout).toBe(node([bin, 'deploy', '--help'], {FINTECH_CACHE_DIR: home, FORCE_COLOR: '1', FINTECH_HELP_CACHE: 'off'}).stdout)
    expect(node([bin, 'deploy', '--help'], {FINTECH_CACHE_DIR: home}).stdout).toBe(plain.stdout)
  })

  it("reads the project's runbooks for `runbook --help` on every run, so a new one is listed at once", () => {
    const home = mkdtempSync(join(cacheRoot, 'runbooks-'))
    const config = makeProject()
    expect(node([bin, 'runbook', '--help'], {FINTECH_CACHE_DIR: home, FINTECH_CONFIG: config}).stdout).not.toContain('warm-cache')
    mkdirSync(join(dirname(config), 'runbooks'))
    writeFileSync(join(dirname(config), 'runbooks', 'warm-cache.yaml'), WARM_CACHE)
    expect(node([bin, 'runbook', '--help'], {FINTECH_CACHE_DIR: home, FINTECH_CONFIG: config}).stdout).toContain('runbook warm-cache')
  })

  it('keeps answers 0600 in a 0700 folder, and none when that folder is open to others', () => {
    const home = mkdtempSync(join(cacheRoot, 'private-'))
    expect(node([bin, 'deploy', '--help'], {FINTECH_CACHE_DIR: home}).status).toBe(0)
    const folder = join(home, 'help')
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    const [answer] = readdirSync(folder)
    expect(statSync(join(folder, answer!)).mode & 0o777).toBe(0o600)

    const open = mkdtempSync(join(cacheRoot, 'open-help-'))
    mkdirSync(join(open, 'help'))
    chmodSync(join(open, 'help'), 0o777)
    expect(node([bin, 'deploy', '--help'], {FINTECH_CACHE_DIR: open}).stdout).toContain('USAGE')
    expect(readdirSync(join(open, 'help'))).toEqual([])
  })
})
