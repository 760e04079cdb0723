/**
 * The build step that bundles each SDK client with only the commands the adapters use
 * (scripts/bundle-sdk-clients.js): what it reads from the adapters, what it refuses, what the
 * bundles export, and that its rewrite of the SDK's schema files changes no schema.
 */
import {build} from 'esbuild'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
// @ts-expect-error the build scripts are plain JavaScript
import {bundleSdkClients, requireSameFiles} from '../../scripts/bundle-sdk-clients.js'
// @ts-expect-error the build scripts are plain JavaScript
import {sdkImportsOf} from '../../scripts/sdk-imports.js'
// @ts-expect-error the build scripts are plain JavaScript
import {withLiteralKeys} from '../../scripts/sdk-schema-keys.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'fintech-sdk-bundles-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

let files = 0
function source(text: string): string {
  const file = join(scratch, `adapter-${++files}.ts`)
  writeFileSync(file, text)
  return file
}
const asObject = (taken: Map<string, Set<string>>) => Object.fromEntries([...taken].map(([pkg, names]) => [pkg, [...names].sort()]))

describe('what the adapters take from each client package', () => {
  it('reads a module kept in a variable, a destructured import, a static import and `typeof x.Name`, and leaves types out', () => {
    const ec2 = source(`import type {Instance} from '@aws-sdk/client-ec2'
export async function list() {
  const ec2 = await import('@aws-sdk/client-ec2')
  const clients = new Map<string, InstanceType<typeof ec2.EC2Client>>()
  return new ec2.DescribeVpcsCommand({}) ?? {ec2: 1}.ec2 ?? clients
}
export async function other(ec2: string) {
  return ec2.length
}`)
    const sts = source(`import {type STSClientConfig, GetCallerIdentityCommand} from '@aws-sdk/client-sts'
export async function who() {
  const {STSClient, GetCallerIdentityCommand: Ask} = await import('@aws-sdk/client-sts')
  return [STSClient, Ask, GetCallerIdentityCommand]
}`)
    expect(asObject(sdkImportsOf([ec2, sts]))).toEqual({
      '@aws-sdk/client-ec2': ['DescribeVpcsCommand', 'EC2Client'],
      '@aws-sdk/client-sts': ['GetCallerIdentityCommand', 'STSClient'],
    })
  })

  for (const [form, text, line] of [
    ['the module handed to another function', `async function f(use: (m: unknown) => void) {\n  const ec2 = await import('@aws-sdk/client-ec2')\n  use(ec2)\n}`, 3],
    ['a rest element', `async function f() {\n  const {EC2Client, ...rest} = await import('@aws-sdk/client-ec2')\n  return rest\n}`, 2],
    ['an import not kept in a variable', `export const load = () => import('@aws-sdk/client-ec2')`, 1],
    ['a default import', `import ec2 from '@aws-sdk/client-ec2'\nexport const x = ec2`, 1],
  ] as const) {
    it(`refuses ${form}, naming the file and line`, () => {
      const file = source(text)
      expect(() => sdkImportsOf([file])).toThrow(`${file}:${line}: `)
    })
  }
})

describe('the bundles', () => {
  // Inside the project, where a bundle's require() of the SDK's shared packages finds node_modules.
  const cache = join(root, 'node_modules', '.cache')
  mkdirSync(cache, {recursive: true})
  const outdir = mkdtempSync(join(cache, 'fintech-sdk-bundles-'))
  afterAll(() => rmSync(outdir, {recursive: true, force: true}))
  const adapter = source(`export async function list() {
  const ec2 = await import('@aws-sdk/client-ec2')
  return new ec2.EC2Client({}).send(new ec2.DescribeVpcsCommand({}))
}`)

  it('export the client and commands taken, and no other operation', async () => {
    await bundleSdkClients([adapter], outdir)
    const bundle = join(outdir, 'client-ec2.cjs')
    const exported = createRequire(import.meta.url)(bundle)
    expect(Object.keys(exported).sort()).toEqual(['DescribeVpcsCommand', 'EC2Client'])
    const command = new exported.DescribeVpcsCommand({VpcIds: ['vpc-1']})
    expect(command.input).toEqual({VpcIds: ['vpc-1']})
    expect(new exported.EC2Client({region: 'eu-west-1'}).config.serviceId).toBe('EC2')
    const text = readFileSync(bundle, 'utf8')
    expect(text).not.toContain('DescribeInstances')
    expect(text).toMatch(/require\("@smithy\/core/)
  })

  it('fail the build on a name the package does not have', async () => {
    const typo = source(`export async function f() {\n  const ec2 = await import('@aws-sdk/client-ec2')\n  return ec2.DescribeVpcCommand\n}`)
    await expect(bundleSdkClients([typo], join(scratch, 'typo'))).rejects.toThrow(/No matching export .* "DescribeVpcCommand"/)
  })
})

describe('what a bundle requires', () => {
  // node_modules/@aws-sdk/client-x has its own copy of dep nested (another version): the bundle,
  // outside the package, would get the top-level one.
  const project = join(scratch, 'nested')
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(project, path)), {recursive: true})
    writeFileSync(join(project, path), text)
  }
  file('node_modules/dep/package.json', '{"name": "dep", "version": "2.0.0", "main": "index.js"}')
  file('node_modules/dep/index.js', '')
  file('node_modules/other/package.json', '{"name": "other", "version": "1.0.0", "main": "index.js"}')
  file('node_modules/other/index.js', '')
  file('node_modules/@aws-sdk/client-x/package.json', '{"name": "@aws-sdk/client-x"}')
  file('node_modules/@aws-sdk/client-x/node_modules/dep/package.json', '{"name": "dep", "version": "1.0.0", "main": "index.js"}')
  file('node_modules/@aws-sdk/client-x/node_modules/dep/index.js', '')
  const clientPackage = join(project, 'node_modules/@aws-sdk/client-x/package.json')
  const bundle = join(project, 'dist/sdk/client-x.cjs')

  it('stops the build when the client would get another copy of a package than its bundle', () => {
    expect(() => requireSameFiles(clientPackage, bundle, ['node:fs', 'other', 'dep'])).toThrow(
      `${join(project, 'node_modules/@aws-sdk/client-x')} imports dep from ${join(project, 'node_modules/@aws-sdk/client-x/node_modules/dep/index.js')}, but its bundle ${bundle} would load ${join(project, 'node_modules/dep/index.js')}`,
    )
  })

  it('lets it be when both get the same files', () => {
    expect(() => requireSameFiles(clientPackage, bundle, ['node:fs', 'other'])).not.toThrow()
  })
})

describe("the SDK's schema files with literal keys", () => {
  it('turns a computed key of a string constant into the literal, and leaves any other computed key', () => {
    const text = `const _xN = "xmlName";\nconst n0 = "com.example";\nlet _m = "m";\nexport var A$ = [3, n0, "A", { [_xN]: "a", [_m]: 1 }, [], []];\nexport const f = (_xN) => ({ [_xN]: 2 });\n`
    expect(withLiteralKeys(text)).toBe(`const _xN = "xmlName";\nconst n0 = "com.example";\nlet _m = "m";\nexport var A$ = [3, n0, "A", { "xmlName": "a", [_m]: 1 }, [], []];\nexport const f = (_xN) => ({ [_xN]: 2 });\n`)
  })

  it("changes none of EC2's schemas", async () => {
    const schemas = join(dirname(createRequire(join(root, 'package.json')).resolve('@aws-sdk/client-ec2')), '..', 'dist-es', 'schemas', 'schemas_0.js')
    expect(readFileSync(schemas, 'utf8')).toContain('{ [_')
    const bundled = async (name: string, rewrite: boolean) => {
      const outfile = join(scratch, `${name}.mjs`)
      await build({
        entryPoints: [schemas],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        mainFields: ['module', 'main'],
        logLevel: 'silent',
        plugins: rewrite ? [{name: 'rewrite', setup: (b) => b.onLoad({filter: /schemas_0\.js$/}, (args) => ({contents: withLiteralKeys(readFileSync(args.path, 'utf8')), loader: 'js'}))}] : [],
      })
      return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>
    }
    const [original, rewritten] = [await bundled('original', false), await bundled('rewritten', true)]
    expect(Object.keys(rewritten).sort()).toEqual(Object.keys(original).sort())
    const operations = Object.keys(original).filter((key) => key.endsWith('$') && Array.isArray(original[key]) && (original[key] as unknown[])[0] === 9)
    expect(operations.length).toBeGreaterThan(500)
    for (const key of Object.keys(original)) {
      if (key === 'errorTypeRegistries') continue
      expect(plain(rewritten[key]), key).toEqual(plain(original[key]))
    }
  })
})

/** A schema as data: references (thunks) followed, each schema written out once and named after. */
function plain(schema: unknown, seen = new Map<unknown, string>()): unknown {
  const value = typeof schema === 'function' ? (schema as () => unknown)() : schema
  if (!Array.isArray(value) && (typeof value !== 'object' || value === null)) return value
  if (seen.has(value)) return `↻${seen.get(value)}`
  seen.set(value, Array.isArray(value) && typeof value[2] === 'string' ? value[2] : String(seen.size))
  if (Array.isArray(value)) return value.map((item) => plain(item, seen))
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item, seen)]))
}
