import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import {readRedisMasterName} from '../../src/cli/redis-stack.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {loadConfig} from '../../src/core/config/load.js'
import {DEFAULT_MASTER_NAME} from '../../src/core/redis/api.js'
import {cfn, notFound, resetAws, stack} from '../helpers/aws-mocks.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(ROOT, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

const ENV_LOOKUP = /selectEnvironment\(|environments\[/g

/**
 * The lookups of an env by name left outside src/core/config, and why each is not a flow's own
 * env (which the cli resolves once with resolveEnv and passes down as a ResolvedEnv).
 */
const ALLOWED: Record<string, {count: number; why: string}> = {
  // The scp topic has no --env: it acts as the Organizations management env, which offline commands do without.
  'src/cli/scp.ts': {count: 2, why: 'the optional management env: its region for the target, and the scp-specific refusal when it is missing'},
  'src/core/scp/desired.ts': {count: 1, why: 'a policy target written as an env name, parsed for every policy of the organization'},
  'src/core/scp/simulate.ts': {count: 3, why: '--target given as an env name, the OU of the simulated account, and the management account that SCPs never restrict'},
  'src/core/scp/live.ts': {count: 1, why: 'the management account the organization must be managed by'},
  'src/core/scp/plan.ts': {count: 1, why: 'which of the organization\'s env chains are protected'},
  'src/core/scp/checks.ts': {count: 1, why: 'policies attached at the management account, checked offline'},
}

describe('the environment resolved once', () => {
  it('is looked up by name only in core/config and the allowed organization-wide places', () => {
    const found = Object.fromEntries(
      sourceFiles(SRC)
        .map((file) => [relative(ROOT, file), readFileSync(file, 'utf8').match(ENV_LOOKUP)?.length ?? 0] as const)
        .filter(([file, count]) => count > 0 && !file.startsWith('src/core/config/')),
    )
    expect(found).toEqual(Object.fromEntries(Object.entries(ALLOWED).map(([file, {count}]) => [file, count])))
  })

  it('leaves the Redis stack out of shutdown: neither its flow nor its core names the stack or its outputs', () => {
    const shutdownFiles = [...sourceFiles(join(SRC, 'core', 'shutdown')), ...sourceFiles(join(SRC, 'cli')).filter((file) => /shutdown/.test(file))]
    const naming = shutdownFiles.filter((file) => /\bredisMasterStack\b|\bRedisMasterName\b/.test(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file))
    expect(naming).toEqual([])
  })
})

describe('readRedisMasterName (the Redis topic, asked by shutdown)', () => {
  const loaded = loadConfig('fintech.config.yaml')

  beforeEach(() => resetAws())

  it("reads the env's data stack and answers its RedisMasterName output", async () => {
    cfn.on(DescribeStacksCommand).resolves(stack('fintech-dev-data', 'UPDATE_COMPLETE', {Outputs: [{OutputKey: 'RedisMasterName', OutputValue: 'ledger-dev'}]}))
    const env = resolveEnv(loaded, 'dev')
    expect(await readRedisMasterName(loaded.config, env, env.target)).toBe('ledger-dev')
    expect(cfn.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{StackName: 'fintech-dev-data'}])
  })

  it("answers the template's default when the data stack has no such output or does not exist", async () => {
    const env = resolveEnv(loaded, 'test')
    cfn.on(DescribeStacksCommand).resolves(stack('fintech-test-data', 'UPDATE_COMPLETE', {Outputs: []}))
    expect(await readRedisMasterName(loaded.config, env, env.target)).toBe(DEFAULT_MASTER_NAME)
    cfn.on(DescribeStacksCommand).rejects(notFound('fintech-test-data'))
    expect(await readRedisMasterName(loaded.config, env, env.target)).toBe(DEFAULT_MASTER_NAME)
  })

  it('asks CloudFormation nothing for an env whose config wires no stack to a RedisMasterName output', async () => {
    const env = resolveEnv(loaded, 'management')
    expect(await readRedisMasterName(loaded.config, env, env.target)).toBe(DEFAULT_MASTER_NAME)
    expect(cfn.commandCalls(DescribeStacksCommand)).toEqual([])
  })
})
