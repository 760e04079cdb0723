import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

/** scripts/compile.js: src compiled file by file by esbuild, the types checked by tsc apart. */

const root = fileURLToPath(new URL('../..', import.meta.url))
const filesUnder = (folder: string, pattern: RegExp) =>
  readdirSync(join(root, folder), {recursive: true, withFileTypes: true})
    .filter((entry) => entry.isFile() && pattern.test(entry.name))
    .map((entry) => relative(join(root, folder), join(entry.parentPath, entry.name)))

describe('the compile step of the build', () => {
  it('writes one dist/ file for each source file, at the same place (run after npm run build)', () => {
    const expected = filesUnder('src', /(?<!\.d)\.tsx?$/).map((file) => file.replace(/\.tsx?$/, '.js'))
    // The other files in dist/ are the runbook commands and the bundles that later steps write.
    const shippedRunbooks = filesUnder('runbooks', /\.ya?ml$/).map((file) => `commands/runbook/${file.replace(/\.ya?ml$/, '.js')}`)
    const written = filesUnder('dist', /\.js$/).filter((file) => !shippedRunbooks.includes(file))
    expect(written.sort()).toEqual(expected.sort())
  })

  it('has the typecheck refuse what a file-by-file compiler cannot get right (isolatedModules)', () => {
    expect(JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')).compilerOptions.isolatedModules).toBe(true)
  })

  it('keeps npm run build type-checking src before it compiles', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts
    expect(scripts.build).toBe('tsc -p tsconfig.build.json --noEmit && npm run compile')
    expect(scripts.compile).toMatch(/^rm -rf dist && node scripts\/compile\.js && /)
  })
})
