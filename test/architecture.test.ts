import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'

/**
 * The dependency rule of docs/development.md: commands → cli → (core ← aws, ui). Each layer
 * lists the layers it may import; `core` is the domain and imports no other layer and no SDK.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ROOT, 'src')

type Layer = 'commands' | 'cli' | 'core' | 'aws' | 'ui' | 'hooks'

const MAY_IMPORT: Record<Layer, {layers: Layer[]; packages: (specifier: string) => boolean}> = {
  commands: {layers: ['cli'], packages: (specifier) => specifier.startsWith('@oclif/') || specifier.startsWith('node:')},
  hooks: {layers: ['cli'], packages: (specifier) => specifier.startsWith('@oclif/') || specifier.startsWith('node:')},
  cli: {layers: ['cli', 'core', 'aws', 'ui'], packages: () => true},
  aws: {layers: ['aws', 'core'], packages: () => true},
  ui: {layers: ['ui', 'core'], packages: (specifier) => !specifier.startsWith('@aws-sdk/')},
  core: {layers: ['core'], packages: (specifier) => !specifier.startsWith('@aws-sdk/') && !specifier.startsWith('@smithy/')},
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

const layerOf = (file: string): Layer => relative(SRC, file).split('/')[0] as Layer

/** Every import, `export … from` and `import()` of a file, as written. */
function specifiersOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((imported) => imported.fileName)
}

/** What the rule forbids in one file, as `file → specifier (reason)`. */
function violationsOf(file: string, specifiers: string[]): string[] {
  const layer = layerOf(file)
  const allowed = MAY_IMPORT[layer]
  return specifiers.flatMap((specifier) => {
    const name = relative(ROOT, file)
    if (specifier.startsWith('.')) {
      const target = resolve(dirname(file), specifier)
      const targetLayer = relative(SRC, target).split('/')[0] as Layer
      if (relative(SRC, target).startsWith('..')) return [`${name} → ${specifier} (outside src)`]
      return allowed.layers.includes(targetLayer) ? [] : [`${name} → ${specifier} (${layer} may not import ${targetLayer})`]
    }
    return allowed.packages(specifier) ? [] : [`${name} → ${specifier} (${layer} may not import this package)`]
  })
}

describe('the import rule commands → cli → (core ← aws, ui)', () => {
  const files = sourceFiles(SRC)

  it('finds every layer under src', () => {
    expect(new Set(files.map(layerOf))).toEqual(new Set(Object.keys(MAY_IMPORT)))
  })

  it('holds for every source file, with no exception', () => {
    expect(files.flatMap((file) => violationsOf(file, specifiersOf(file)))).toEqual([])
  })

  it('sees static, type-only, re-exported and dynamic imports', () => {
    const command = join(SRC, 'commands', 'example.ts')
    const source = [
      "import {x} from '../core/errors.js'",
      "import type {Y} from '../ui/reporter.js'",
      "export {z} from '../aws/sts.js'",
      "const later = await import('../aws/rds.js')",
      "import Table from 'cli-table3'",
      "import {FintechCommand} from '../cli/base-command.js'",
      "import {Flags} from '@oclif/core'",
    ].join('\n')
    const specifiers = ts.preProcessFile(source, true, true).importedFiles.map((imported) => imported.fileName)
    expect(violationsOf(command, specifiers)).toEqual([
      'src/commands/example.ts → ../core/errors.js (commands may not import core)',
      'src/commands/example.ts → ../ui/reporter.js (commands may not import ui)',
      'src/commands/example.ts → ../aws/sts.js (commands may not import aws)',
      'src/commands/example.ts → ../aws/rds.js (commands may not import aws)',
      'src/commands/example.ts → cli-table3 (commands may not import this package)',
    ])
  })

  it('keeps the SDK out of core and ui', () => {
    expect(violationsOf(join(SRC, 'core', 'x.ts'), ['@aws-sdk/client-sts', '../aws/sts.js', '../ui/labels.js', '../cli/tags.js'])).toEqual([
      'src/core/x.ts → @aws-sdk/client-sts (core may not import this package)',
      'src/core/x.ts → ../aws/sts.js (core may not import aws)',
      'src/core/x.ts → ../ui/labels.js (core may not import ui)',
      'src/core/x.ts → ../cli/tags.js (core may not import cli)',
    ])
    expect(violationsOf(join(SRC, 'ui', 'x.ts'), ['../aws/sts.js', '../cli/tags.js', '../core/errors.js'])).toEqual([
      'src/ui/x.ts → ../aws/sts.js (ui may not import aws)',
      'src/ui/x.ts → ../cli/tags.js (ui may not import cli)',
    ])
    expect(violationsOf(join(SRC, 'aws', 'x.ts'), ['../ui/labels.js', '../core/errors.js'])).toEqual(['src/aws/x.ts → ../ui/labels.js (aws may not import ui)'])
  })
})

/** src/aws files every adapter may use: the client factory, failure naming, paging, and the tag helpers every service's tag calls share. */
const SHARED_AWS_FILES = new Set(['clients.ts', 'failures.ts', 'paging.ts', 'tagging.ts'])
/** The runbook steps' SDK catalogue: it loads whichever service a step names, by design. */
const ANY_SERVICE_FILES = new Set(['api-models.ts', 'api-call.ts'])
/**
 * Services kept in more than one file, each for a reason: StackSets are their own API with their
 * own core interface, and would make cloudformation.ts twice its size.
 */
const SPLIT_SERVICES: Record<string, string[]> = {
  '@aws-sdk/client-cloudformation': ['cloudformation.ts', 'stacksets.ts'],
}

const AWS = join(SRC, 'aws')
const awsFiles = () => sourceFiles(AWS).map((file) => relative(AWS, file))
const sdkClientsOf = (name: string) => [...new Set(specifiersOf(join(AWS, name)).filter((specifier) => specifier.startsWith('@aws-sdk/client-')))]

describe('src/aws: one file per AWS service, and nothing but per-service adapters', () => {
  it('each file talks to one AWS service at most', () => {
    const several = awsFiles()
      .filter((name) => !ANY_SERVICE_FILES.has(name))
      .flatMap((name) => (sdkClientsOf(name).length > 1 ? [`${name}: ${sdkClientsOf(name).join(', ')}`] : []))
    expect(several).toEqual([])
  })

  it('each service lives in one file', () => {
    const filesOf = new Map<string, string[]>()
    for (const name of awsFiles().filter((file) => !ANY_SERVICE_FILES.has(file))) {
      for (const client of sdkClientsOf(name)) filesOf.set(client, [...(filesOf.get(client) ?? []), name])
    }
    const split = [...filesOf].filter(([client, files]) => files.length > 1 && JSON.stringify(files) !== JSON.stringify(SPLIT_SERVICES[client]))
    expect(split).toEqual([])
  })

  it('no adapter assembles other services: an src/aws file imports only the shared files from src/aws', () => {
    const assemblies = awsFiles().flatMap((name) =>
      specifiersOf(join(AWS, name))
        .filter((specifier) => specifier.startsWith('./'))
        .map((specifier) => specifier.slice(2).replace(/\.js$/, '.ts'))
        .filter((imported) => !SHARED_AWS_FILES.has(imported) && !(ANY_SERVICE_FILES.has(name) && ANY_SERVICE_FILES.has(imported)))
        .map((imported) => `${name} → ${imported}`),
    )
    expect(assemblies).toEqual([])
  })
})

/** Response fields that carry the token of a list's next page. */
const PAGE_TOKEN = /^(NextToken|nextToken|PaginationToken|Marker|NextMarker|ContinuationToken|NextContinuationToken|LastEvaluated\w*)$/

/** Assignments such as `token = page.NextToken || undefined`: the step of a paging loop written by hand. */
function pageTokenAssignments(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const readsPageToken = (node: ts.Node): boolean =>
    (ts.isPropertyAccessExpression(node) && PAGE_TOKEN.test(node.name.text)) || ts.forEachChild(node, (child) => readsPageToken(child) || undefined) === true
  const visit = (node: ts.Node) => {
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && readsPageToken(node.right)) {
      found.push(`${relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.getText()}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('paging: every listing in src/aws goes through src/aws/paging.ts', () => {
  it('no file but paging.ts steps through page tokens by hand', () => {
    const files = sourceFiles(AWS).filter((file) => relative(AWS, file) !== 'paging.ts')
    expect(files.flatMap(pageTokenAssignments)).toEqual([])
  })

  it('recognises the hand-written loops it forbids, and not the paging helpers', () => {
    const file = join(ROOT, 'test', 'fixtures', 'paging-by-hand.ts')
    expect(pageTokenAssignments(file).map((line) => line.replace(/^.*?:\d+ /, ''))).toEqual([
      'token = page.NextToken || undefined',
      'marker = page.IsTruncated ? page.NextMarker : undefined',
      'start = page.LastEvaluatedTableName',
    ])
  })
})
