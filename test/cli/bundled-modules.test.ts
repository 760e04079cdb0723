import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {bundledModuleResolver} from '../../src/cli/bundled-modules.js'

const scratch = mkdtempSync(join(tmpdir(), 'fintech-bundled-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

/** fintech installed as a user has it: <prefix>/node_modules/fintech, with dist/ built, beside other packages. */
function installed(bundles: string[]) {
  const project = join(scratch, `prefix-${bundles.length}`, 'node_modules', 'fintech')
  for (const file of bundles) {
    mkdirSync(join(project, 'dist', file, '..'), {recursive: true})
    writeFileSync(join(project, 'dist', file), '')
  }
  const url = (path: string) => pathToFileURL(join(project, path)).href
  return {resolve: bundledModuleResolver(new URL(`${url('dist')}/`)), url, besideUs: pathToFileURL(join(project, '..', 'other', 'index.js')).href}
}

describe('which bundled file an import gets', () => {
  const {resolve, url, besideUs} = installed(['oclif-core.cjs', 'zod.mjs', 'sdk/client-ec2.cjs'])

  it('gives our files the bundles, also where fintech itself is installed under a node_modules', () => {
    expect(resolve('zod', url('dist/core/config/schema.js'))).toBe(url('dist/zod.mjs'))
    expect(resolve('@aws-sdk/client-ec2', url('dist/aws/ec2.js'))).toBe(url('dist/sdk/client-ec2.cjs'))
    expect(resolve('@oclif/core', url('dist/commands/deploy.js'))).toBe(url('dist/oclif-core.cjs'))
  })

  it('gives runbook steps the whole client package', () => {
    expect(resolve('@aws-sdk/client-ec2', url('dist/aws/api-models.js'))).toBeUndefined()
  })

  it('gives other packages zod and the clients as installed, in our node_modules or beside us, and oclif bundled', () => {
    for (const parent of [url('node_modules/some-package/index.js'), besideUs]) {
      expect(resolve('zod', parent)).toBeUndefined()
      expect(resolve('@aws-sdk/client-ec2', parent)).toBeUndefined()
      expect(resolve('@oclif/core', parent)).toBe(url('dist/oclif-core.cjs'))
    }
  })

  it('leaves a package without a bundle, and every other import, to Node', () => {
    expect(resolve('@aws-sdk/client-s3', url('dist/aws/s3.js'))).toBeUndefined()
    expect(resolve('@aws-sdk/credential-providers', url('dist/aws/clients.js'))).toBeUndefined()
    expect(resolve('js-yaml', url('dist/core/yaml.js'))).toBeUndefined()
    expect(resolve('zod', undefined)).toBeUndefined()
  })

  it('leaves everything to Node when nothing was bundled', () => {
    const bare = installed([])
    expect(bare.resolve('@oclif/core', bare.url('dist/commands/deploy.js'))).toBeUndefined()
    expect(bare.resolve('zod', bare.url('dist/core/config/schema.js'))).toBeUndefined()
  })
})
