// Build step after `oclif manifest`: it lists commands in the order their files finished
// loading, which differs from build to build, so every build dirtied oclif.manifest.json.
// Commands in id order, each as oclif wrote it, make the file change only when a command does.
import {readFileSync, writeFileSync} from 'node:fs'

const file = new URL('../oclif.manifest.json', import.meta.url)
const manifest = JSON.parse(readFileSync(file, 'utf8'))
const commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
writeFileSync(file, `${JSON.stringify({...manifest, commands}, null, 2)}\n`)
