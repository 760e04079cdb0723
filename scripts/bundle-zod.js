// Build step: zod as one file, dist/zod.mjs. As installed it is about 95 ES modules (its
// locales among them) that Node finds, reads and links on every run that reads the config:
// about 30 ms of a 375 ms offline plan (measured side by side, bench section 1). On Node
// 22.15+ bin/run.js points our imports of 'zod' at this file (src/cli/bundled-modules.ts).
import {build} from 'esbuild'

const root = new URL('..', import.meta.url).pathname

await build({
  stdin: {contents: "export * from 'zod'\nexport {default} from 'zod'", resolveDir: root, sourcefile: 'zod.js', loader: 'js'},
  outfile: new URL('../dist/zod.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  logLevel: 'warning',
})
