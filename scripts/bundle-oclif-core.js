// Build step: @oclif/core as one file, dist/oclif-core.cjs. Unbundled it is ~110 files that
// Node must find, read and compile on every start; bin/run.js points every import of
// '@oclif/core' (ours, the help class, the plugins') at this file, so there is one copy.
import {createRequire} from 'node:module'
import {build} from 'esbuild'

await build({
  entryPoints: [createRequire(import.meta.url).resolve('@oclif/core')],
  outfile: new URL('../dist/oclif-core.cjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // oclif loads these only to run TypeScript sources in development, never from dist.
  external: ['typescript', 'ts-node', 'tsx'],
  logLevel: 'warning',
})
