// Build step, after tsc and before `oclif manifest`: one command per shipped runbook (fintech runbook NAME).
import {fileURLToPath} from 'node:url'
import {writeShippedRunbookCommands} from '../dist/cli/shipped-runbook-commands.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const names = writeShippedRunbookCommands(root, fileURLToPath(new URL('../dist/commands/runbook', import.meta.url)))
process.stderr.write(`runbook commands: ${names.join(', ')}\n`)
