// The child process of bench 8: one `tags audit` against the mocked account, its figures as JSON
// on stdout. `tags audit` sets its V8 flags (src/cli/heap.ts) when its run starts, before it
// loads an SDK client; the mocks need the clients loaded first, so the child sets the same
// flags the same way before loading them, or the young generation would already have grown.
import module from 'node:module'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

const [repoRoot, variety, compileCache] = process.argv.slice(2)
if (compileCache) module.enableCompileCache(compileCache)
// The SDK clients as bin/run.js has them: only the commands our adapters use (dist/sdk/).
const {useBundledModules} = await import(join(repoRoot, 'dist/cli/bundled-modules.js'))
useBundledModules(pathToFileURL(join(repoRoot, 'dist/')))
const {favourLowMemory} = await import(join(repoRoot, 'dist/cli/heap.js'))
favourLowMemory()
const {auditInThisProcess} = await import('./tags-audit.js')
process.stdout.write(`${JSON.stringify(await auditInThisProcess(repoRoot, variety))}\n`)
