import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {loadRunbooks} from '../core/runbook/load.js'
import type {NamedRunbook} from './runbook-base.js'

/**
 * The module of `fintech runbook NAME` for each runbook under `<root>/runbooks/`, as the build
 * writes it next to the other runbook commands, so that the manifest (and with it help and shell
 * completion) lists every shipped runbook without loading the runbooks at start-up.
 */
export function shippedRunbookCommandModules(root: string): Array<{name: string; source: string}> {
  return [...loadRunbooks(root).runbooks.values()].map(({name, title, description}) => {
    const shown: NamedRunbook = {name, title, description}
    return {
      name,
      source: [
        `// Written by the build from runbooks/${name}.yaml: fintech runbook ${name} is fintech runbook run ${name}.`,
        `import {namedRunbookCommand} from '../../cli/runbook-base.js'`,
        `export default namedRunbookCommand(${JSON.stringify(shown)})`,
        '',
      ].join('\n'),
    }
  })
}

/** Writes the shipped runbooks' command modules into `commandsDir` (dist/commands/runbook); refuses to replace a command. */
export function writeShippedRunbookCommands(root: string, commandsDir: string): string[] {
  const modules = shippedRunbookCommandModules(root)
  mkdirSync(commandsDir, {recursive: true})
  for (const {name} of modules) {
    const file = join(commandsDir, `${name}.js`)
    if (existsSync(file)) throw new Error(`runbooks/${name}.yaml would replace the command in ${file}: rename the runbook (fintech validate names the subcommands a runbook cannot be called)`)
  }
  for (const {name, source} of modules) writeFileSync(join(commandsDir, `${name}.js`), source)
  return modules.map(({name}) => name)
}
