// `npm run contracts:update`: rewrites the command snapshot and the --json schemas from the build and the sources, on purpose.
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {commandContracts, generateSchemas, readManifest, SCHEMA_DIR, schemaFileOf, shippedRunbookIds, SNAPSHOT_FILE} from './contracts.js'

const manifest = readManifest()
writeFileSync(SNAPSHOT_FILE, `${JSON.stringify(commandContracts(manifest), null, 2)}\n`)

const shipped = new Set(shippedRunbookIds())
const ids = Object.values(manifest.commands)
  .filter((command) => 'json' in command.flags && !shipped.has(command.id))
  .map((command) => command.id)
mkdirSync(SCHEMA_DIR, {recursive: true})
for (const file of readdirSync(SCHEMA_DIR)) if (file.endsWith('.json')) rmSync(join(SCHEMA_DIR, file))
for (const [id, schema] of generateSchemas(ids)) writeFileSync(schemaFileOf(id), `${JSON.stringify(schema, null, 2)}\n`)
process.stderr.write(`${SNAPSHOT_FILE}: ${Object.keys(manifest.commands).length} commands; ${SCHEMA_DIR}: ${ids.length} schemas\n`)
