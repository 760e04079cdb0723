// Build step: for each SDK client package our adapters use, dist/sdk/<package>.cjs with only the
// client and commands they use (scripts/sdk-imports.js finds them). A client package's index
// loads every operation's model: @aws-sdk/client-ec2 alone is 2 MB of code, and the nine
// clients of `tags audit` held ~60 MB before the first request. bin/run.js hands the adapters
// these files instead; the SDK's shared packages (@smithy/*, @aws-sdk/core, the credential
// chain) stay outside, loaded from node_modules once for every client.
import {mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {createRequire, isBuiltin} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {sdkImportsOf} from './sdk-imports.js'
import {withLiteralKeys} from './sdk-schema-keys.js'

const root = new URL('..', import.meta.url).pathname
// Runbook steps may call any operation of a service, so api-models.ts loads whole packages.
const WHOLE_PACKAGES = new Set(['api-models.ts'])

/**
 * @param {string[]} sources the adapters' TypeScript files
 * @param {string} outdir where <package>.cjs files go
 * @returns {Promise<Map<string, Set<string>>>} what each bundle exports
 */
export async function bundleSdkClients(sources, outdir) {
  const taken = sdkImportsOf(sources)
  mkdirSync(outdir, {recursive: true})
  for (const [pkg, names] of taken) {
    const outfile = join(outdir, `${pkg.slice('@aws-sdk/'.length)}.cjs`)
    const externals = new Set()
    await build({
      stdin: {contents: `export {${[...names].sort().join(', ')}} from '${pkg}'`, resolveDir: root, sourcefile: `${pkg}.js`, loader: 'js'},
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      // dist-es: the ES modules, which the bundler can leave the unused operations out of.
      mainFields: ['module', 'main'],
      plugins: [onlyThisPackage(pkg, externals), schemaKeysAsLiterals()],
      logLevel: 'silent',
    })
    requireSameFiles(createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`), outfile, externals)
  }
  return taken
}

/**
 * The bundle requires the packages the client imports from its own place in node_modules; where
 * npm nested another version under the client (version skew), the bundle would get the wrong
 * one. The build stops instead.
 * @param {string} clientPackageJson the client package's package.json
 * @param {string} outfile its bundle
 * @param {Iterable<string>} externals what the bundle requires
 */
export function requireSameFiles(clientPackageJson, outfile, externals) {
  const [fromClient, fromBundle] = [createRequire(clientPackageJson), createRequire(outfile)]
  for (const specifier of externals) {
    if (isBuiltin(specifier)) continue
    const [wanted, got] = [fromClient.resolve(specifier), fromBundle.resolve(specifier)]
    if (wanted !== got) throw new Error(`${dirname(clientPackageJson)} imports ${specifier} from ${wanted}, but its bundle ${outfile} would load ${got}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const adapters = join(root, 'src/aws')
  const sources = readdirSync(adapters)
    .filter((file) => file.endsWith('.ts') && !WHOLE_PACKAGES.has(file))
    .map((file) => join(adapters, file))
  await bundleSdkClients(sources, join(root, 'dist/sdk'))
}

/** Every other package is required from node_modules at run time, as the full client does; `externals` collects them. */
function onlyThisPackage(pkg, externals) {
  return {
    name: 'only-this-package',
    setup(builder) {
      builder.onResolve({filter: /^[^./]/}, (args) => {
        if (args.kind === 'entry-point' || args.path === pkg) return undefined
        externals.add(args.path)
        return {path: args.path, external: true}
      })
    },
  }
}

/**
 * The generated schema files name traits through string constants (`{ [_xN]: _m }`); a bundler
 * cannot tell such a computed key from one with side effects, so it keeps every schema of the
 * service. Written as the literal key, the unused ones drop out: EC2's bundle is 120 KB, not 1 MB.
 */
function schemaKeysAsLiterals() {
  return {
    name: 'schema-keys-as-literals',
    setup(builder) {
      builder.onLoad({filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/}, (args) => ({contents: withLiteralKeys(readFileSync(args.path, 'utf8')), loader: 'js'}))
    },
  }
}
