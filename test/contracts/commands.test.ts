import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {commandContracts, contractDifferences, readManifest, SNAPSHOT_FILE, type CommandContract} from './contracts.js'

const snapshot = (): CommandContract[] => JSON.parse(readFileSync(SNAPSHOT_FILE, 'utf8'))

describe('the command snapshot (test/contracts/commands.snapshot.json)', () => {
  it('matches every command, flag and arg of the built oclif.manifest.json (npm run contracts:update when a change is meant)', () => {
    const differences = contractDifferences(snapshot(), commandContracts(readManifest()))
    expect(differences, `the commands changed against ${SNAPSHOT_FILE}:\n${differences.join('\n')}`).toEqual([])
  })

  it('names the command and flag of a removed flag, a changed char or default, a new option and an added command', () => {
    const before = snapshot()
    const after: CommandContract[] = structuredClone(before)
    const deploy = after.find((command) => command.id === 'deploy')!
    deploy.flags = deploy.flags.filter((flag) => flag.name !== 'force')
    deploy.flags.find((flag) => flag.name === 'yes')!.char = 'Y'
    const report = after.find((command) => command.id === 'cost:report')!
    report.flags.find((flag) => flag.name === 'top')!.default = 5
    report.flags.find((flag) => flag.name === 'format')!.options = ['text', 'csv', 'json']
    after.push({id: 'cost:budget', flags: [], args: []})

    expect(contractDifferences(before, after)).toEqual([
      'command cost:report flag --format: options was ["text","csv"], now ["text","csv","json"]',
      'command cost:report flag --top: default was 10, now 5',
      'command deploy flag --force: removed',
      'command deploy flag --yes: char was "y", now "Y"',
      'command cost:budget: added',
    ])
  })

  it('names a removed command, a flag turned required and args in another order', () => {
    const before: CommandContract[] = [
      {id: 'a', flags: [{name: 'env', type: 'option', required: false, multiple: false}], args: [{name: 'x', required: true}, {name: 'y', required: false}]},
      {id: 'b', flags: [], args: []},
    ]
    const after: CommandContract[] = [{id: 'a', flags: [{name: 'env', type: 'option', required: true, multiple: false}], args: [{name: 'y', required: false}, {name: 'x', required: true}]}]
    expect(contractDifferences(before, after)).toEqual(['command b: removed', 'command a flag --env: required was false, now true', 'command a: args were x y, now y x'])
  })

  it('keeps each flag\'s char, type, required, multiple, options and default as the manifest has them', () => {
    const contracts = commandContracts(readManifest())
    const report = contracts.find((command) => command.id === 'cost:report')!
    expect(report.flags.find((flag) => flag.name === 'format')).toEqual({name: 'format', type: 'option', required: false, multiple: false, options: ['text', 'csv'], default: 'text'})
    expect(report.flags.find((flag) => flag.name === 'env')).toEqual({name: 'env', type: 'option', required: false, multiple: true})
    expect(contracts.find((command) => command.id === 'deploy')!.flags.find((flag) => flag.name === 'yes')).toEqual({name: 'yes', char: 'y', type: 'boolean', required: false, multiple: false})
    expect(contracts.find((command) => command.id === 'validate')!.flags.find((flag) => flag.name === 'cfn-lint')).toEqual({name: 'cfn-lint', type: 'boolean', required: false, multiple: false, allowNo: true})
    expect(contracts.find((command) => command.id === 'runbook:show')!.args).toEqual([{name: 'name', required: true}])
  })
})
