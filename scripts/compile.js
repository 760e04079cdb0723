// Build step: src/**/*.ts(x) → dist/**/*.js, one file for each, as tsc would emit them
// (tsconfig.build.json: ES2022, ES modules, the automatic JSX runtime), without checking types.
// tsc took 13 s of `npm run build` to do both; the check is `npm run typecheck`, which
// `npm run build` runs first and `npm test` runs beside this. isolatedModules in tsconfig.json
// makes that check refuse what a file-by-file compiler cannot get right (a type re-exported
// as a value).
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {build} from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const sources = readdirSync(join(root, 'src'), {recursive: true, withFileTypes: true})
  .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
  .map((entry) => join(entry.parentPath, entry.name))

await build({
  absWorkingDir: root,
  entryPoints: sources,
  outbase: 'src',
  outdir: 'dist',
  bundle: false,
  platform: 'node',
  format: 'esm',
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  logLevel: 'warning',
})
