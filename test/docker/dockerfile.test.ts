import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

/**
 * No Docker engine runs here, so the image is checked from its files: the instructions, what
 * they copy from the build context (present, not ignored) and from the build stage (made by
 * the build), the user and the entry point the task definition relies on.
 */

const root = fileURLToPath(new URL('../..', import.meta.url))
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

interface Instruction {
  keyword: string
  args: string
}

/** Dockerfile instructions, comments dropped and continuation lines joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/)
      return {keyword: keyword!.toUpperCase(), args: rest.join(' ')}
    })
}

/** Stages of a multi-stage build, each with its instructions. */
function stages(all: Instruction[]): Array<{from: string; name?: string; steps: Instruction[]}> {
  const result: Array<{from: string; name?: string; steps: Instruction[]}> = []
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/)
      result.push({from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, steps: []})
    } else {
      result.at(-1)?.steps.push(instruction)
    }
  }
  return result
}

/** A .dockerignore pattern as a regular expression over context-relative paths. */
function ignorePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+|\/+$/g, '')
    .split(/(\*\*\/|\*|\?)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}(?:/.*)?$`)
}

const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
const ignored = (path: string) => dockerignore.some((pattern) => ignorePattern(pattern).test(path))

const dockerfile = instructions(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const [build, runtime] = stages(dockerfile)

/** `COPY [--from=x] src... dest` as its parts. */
function copies(steps: Instruction[]) {
  return steps
    .filter((step) => step.keyword === 'COPY')
    .map((step) => {
      const words = step.args.split(/\s+/)
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length)
      const paths = words.filter((word) => !word.startsWith('--'))
      return {from, sources: paths.slice(0, -1), destination: paths.at(-1)!}
    })
}

describe('Dockerfile', () => {
  it('builds in a node:24-slim stage (the current LTS) and runs from a second one', () => {
    expect(dockerfile[0]).toEqual({keyword: 'ARG', args: 'NODE_IMAGE=node:24-slim'})
    expect(build).toMatchObject({from: '${NODE_IMAGE}', name: 'build'})
    expect(runtime).toMatchObject({from: '${NODE_IMAGE}', name: undefined})
    // The image's Node satisfies the package's engines: any 24.x is >=22.
    expect(packageJson.engines.node).toBe('>=22')
  })

  it('installs from the lock file, builds (type check, compile, the shipped runbooks\' commands, the bundles and the oclif manifest) and drops the dev dependencies', () => {
    const runs = build!.steps.filter((step) => step.keyword === 'RUN').map((step) => step.args)
    expect(runs).toEqual(['npm ci --engine-strict --ignore-scripts --no-audit --no-fund', 'npm run build && npm prune --omit=dev --no-audit --no-fund'])
    expect(packageJson.scripts.build).toBe('tsc -p tsconfig.build.json --noEmit && npm run compile')
    expect(packageJson.scripts.compile).toBe('rm -rf dist && node scripts/compile.js && node scripts/write-runbook-commands.js && node scripts/bundle-oclif-core.js && node scripts/bundle-sdk-clients.js && node scripts/bundle-zod.js && oclif manifest && node scripts/sort-manifest.js')
  })

  it('skips only install scripts the image does not need: the pinned dev Node\'s download and esbuild\'s optional check', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {packages: Record<string, {hasInstallScript?: boolean; dev?: boolean}>}
    const withScripts = Object.entries(lock.packages).filter(([, entry]) => entry.hasInstallScript)
    expect(withScripts.map(([path]) => path).sort()).toEqual(['node_modules/esbuild', 'node_modules/node'])
    expect(withScripts.every(([, entry]) => entry.dev)).toBe(true)
  })

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const sources = [...copies(build!.steps), ...copies(runtime!.steps)].filter((copy) => !copy.from).flatMap((copy) => copy.sources)
    expect(sources).toEqual(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'src', 'scripts', 'runbooks', 'bin/run.js', 'templates', 'data', 'runbooks', 'fintech.config.yaml'])
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true)
      expect(ignored(source), `${source} is ignored`).toBe(false)
    }
    expect(ignored('templates/shutdown/scheduler.yaml')).toBe(false)
    expect(ignored('src/commands/shutdown/schedule.ts')).toBe(false)
  })

  it('takes from the build stage what the build makes: dist, the manifest, production node_modules', () => {
    const fromBuild = copies(runtime!.steps).filter((copy) => copy.from === 'build')
    expect(fromBuild.flatMap((copy) => copy.sources).sort()).toEqual(['/app/dist', '/app/node_modules', '/app/oclif.manifest.json', '/app/package.json'])
    expect(packageJson.oclif.commands).toBe('./dist/commands')
    expect(JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions.outDir).toBe('dist')
  })

  it('keeps secrets, local state, builds and tests out of the context', () => {
    for (const path of ['.git/config', '.env', '.env.local', 'node_modules/zod/package.json', 'src/node_modules/x', 'dist/index.js', 'oclif.manifest.json', 'test/core/schedule.test.ts', '.fintech/state', '.aws/credentials', 'key.pem']) {
      expect(ignored(path), path).toBe(true)
    }
  })

  it('runs the CLI as the unprivileged node user, with the config the image carries', () => {
    const steps = runtime!.steps
    const user = steps.findIndex((step) => step.keyword === 'USER')
    const entrypoint = steps.findIndex((step) => step.keyword === 'ENTRYPOINT')
    expect(steps[user]!.args).toBe('node')
    expect(user).toBeLessThan(entrypoint)
    expect(JSON.parse(steps[entrypoint]!.args)).toEqual(['node', '/app/bin/run.js'])
    expect(steps.find((step) => step.keyword === 'WORKDIR')!.args).toBe('/app')
    expect(steps.find((step) => step.keyword === 'ENV')!.args).toContain('FINTECH_CONFIG=/app/fintech.config.yaml')
    expect(readFileSync(join(root, 'bin/run.js'), 'utf8')).toContain("execute({dir: import.meta.url})")
  })
})
