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
