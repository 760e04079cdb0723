import {Ajv2020} from 'ajv/dist/2020.js'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import CostEstimate from '../../src/commands/cost/estimate.js'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import RunbookExport from '../../src/commands/runbook/export.js'
import RunbookList from '../../src/commands/runbook/list.js'
import RunbookShow from '../../src/commands/runbook/show.js'
import ScpPlan from '../../src/commands/scp/plan.js'
import ScpValidate from '../../src/commands/scp/validate.js'
import Validate from '../../src/commands/validate.js'
import {namedRunbookCommand} from '../../src/cli/runbook-base.js'
import {runCli} from '../helpers/run-cli.js'
import {generateSchemas, readManifest, SCHEMA_DIR, schemaFileOf, schemaIdOf, shippedRunbookIds} from './contracts.js'
import {assertJsonContract, commandIdOf, contractProblems} from './json-contract.js'

const CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
const jsonCommands = () => Object.values(readManifest().commands).filter((command) => 'json' in command.flags).map((command) => command.id)
const schemaFiles = () => readdirSync(SCHEMA_DIR).filter((file) => file.endsWith('.json'))

describe('the --json schemas (schemas/)', () => {
  it('has a schema for every command with --json; a shipped runbook\'s command shares runbook run\'s', () => {
    const ids = jsonCommands()
    expect(ids.length).toBeGreaterThan(30)
    expect(ids.filter((id) => !existsSync(schemaFileOf(schemaIdOf(id))))).toEqual([])
    expect(shippedRunbookIds()).toContain('runbook:failover')
    expect(schemaIdOf('runbook:failover')).toBe('runbook:run')
  })

  it('has no schema for a command that is gone', () => {
    const expected = new Set(jsonCommands().map((id) => basename(schemaFileOf(schemaIdOf(id)))))
    expect(schemaFiles().filter((file) => !expected.has(file))).toEqual([])
  })

  it('compiles each schema under draft 2020-12 in strict mode, with closed objects', () => {
    const ajv = new Ajv2020({strict: true})
    for (const file of schemaFiles()) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'))
      expect(() => ajv.compile(schema), file).not.toThrow()
      expect(JSON.stringify(schema), file).toContain('"additionalProperties":false')
    }
  })

  it('is what the result types of the commands\' run() say today (npm run contracts:update after a change)', () => {
    const ids = jsonCommands().filter((id) => schemaIdOf(id) === id)
    const stale = [...generateSchemas(ids)].filter(([id, schema]) => readFileSync(schemaFileOf(id), 'utf8') !== `${JSON.stringify(schema, null, 2)}\n`).map(([id]) => id)
    expect(stale, `schemas out of date with src: ${stale.join(', ')}`).toEqual([])
  }, 180_000)
})

describe('the --json contract check', () => {
  it('finds the command of a class from src/commands, and runbook run for a shipped runbook\'s class', () => {
    expect(commandIdOf(Plan)).toBe('plan')
    expect(commandIdOf(ScpPlan)).toBe('scp:plan')
    expect(commandIdOf(RunbookShow)).toBe('runbook:show')
    expect(commandIdOf(namedRunbookCommand({name: 'failover', title: 't', description: 'd'}))).toBe('runbook:run')
    expect(commandIdOf(class Unrelated {})).toBeUndefined()
  })

  it('names a renamed field, a removed one and a value of the wrong type in a real validate --json', async () => {
    const run = await runCli(Validate, ['--config', CONFIG, '--no-cfn-lint', '--json'])
    expect(contractProblems('validate', run.json)).toEqual([])
    const {warnings, ...renamed} = {...run.json, warningCount: run.json.warnings}
    expect(warnings).toBeTypeOf('number')
    const problems = contractProblems('validate', {...renamed, cfnLint: 'maybe', errors: '0'})
    expect(problems).toContain('/ must have required property \'warnings\' {"missingProperty":"warnings"}')
    expect(problems).toContain('/ must NOT have additional properties {"additionalProperty":"warningCount"}')
    expect(problems).toContain('/cfnLint must be equal to one of the allowed values {"allowedValues":["missing","ran","skipped"]}')
    expect(problems).toContain('/errors must be number {"type":"number"}')
  })

  it('fails a run whose --json leaves its schema, naming the command, the file and the field, and lets oclif\'s error envelope through', () => {
    expect(() => assertJsonContract(ScpValidate, {files: []})).toThrow(
      /^fintech scp validate --json does not match schemas\/scp-validate\.json \(run npm run contracts:update if the change is meant\):\n {2}\/ must have required property/,
    )
    expect(() => assertJsonContract(ScpValidate, {error: {name: 'Error', message: 'no such file', oclif: {exit: 2}}})).not.toThrow()
  })
})

describe('the offline commands print what their schemas say', () => {
  // runCli checks every --json document against the command's schema; these runs need no AWS.
  const runs: Array<[string, Parameters<typeof runCli>[0], string[]]> = [
    ['validate', Validate, ['--no-cfn-lint']],
    ['validate --rules', Validate, ['--rules']],
    ['plan --offline', Plan, ['--env', 'dev', '--offline']],
    ['deploy --dry-run --offline', Deploy, ['--stage', 'all', '--env', 'dev', '--dry-run', '--offline']],
    ['cost estimate', CostEstimate, ['--env', 'prod', '--details']],
    ['runbook list', RunbookList, []],
    ['runbook show', RunbookShow, ['failover']],
    ['runbook export', RunbookExport, ['failover', '--format', 'ssm']],
    ['scp validate', ScpValidate, []],
  ]
  it.each(runs)('%s --json', async (_name, command, argv) => {
    const run = await runCli(command, [...argv, '--config', CONFIG, '--json'])
    expect(run.json, run.stderr).toBeTypeOf('object')
    expect(contractProblems(commandIdOf(command as unknown as Function)!, run.json)).toEqual([])
  })
})
