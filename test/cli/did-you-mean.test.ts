import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {closestCommand} from '../../src/hooks/command-not-found.js'

/** fintech's commands as oclif lists them, from the generated manifest. */
const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, {id: string; aliases: string[]; hidden?: boolean}>}
const commands = Object.values(manifest.commands).map(({id, aliases, hidden}) => ({id, aliases, hidden: Boolean(hidden)}))
const config = {commandIDs: commands.map((command) => command.id), commands} as unknown as Parameters<typeof closestCommand>[1]

describe('closestCommand', () => {
  it('suggests the command a typo meant: deplyo is deploy, shutdown stp is shutdown stop', () => {
    expect(closestCommand('deplyo', config)).toBe('deploy')
    expect(closestCommand('shutdown:stp', config)).toBe('shutdown:stop')
    expect(closestCommand('stauts', config)).toBe('status')
  })

  it('suggests nothing for a word far from every command', () => {
    for (const word of ['xyzzy', 'shutdown:xyzzy', 'kubectl']) expect(closestCommand(word, config), word).toBeUndefined()
  })
})
