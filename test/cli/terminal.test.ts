/**
 * What the built CLI shows at a terminal and in a pipe (`npm run build` first): colour and its
 * switches, "did you mean" for a mistyped command, -y, the missing-credentials hint, and the
 * flags offline-only commands offer. `script` gives a child a real pseudo-terminal.
 */
import {spawn, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin/run.js')
const ESC = '\u001B['

/** No AWS credentials anywhere: the SDK's chain gives up at once instead of asking an instance's metadata. */
const NO_CREDENTIALS = {AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true'}

/** The environment of a user's shell, without colour settings this machine might have. */
function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {...process.env, NODE_ENV: 'production', FINTECH_HELP_CACHE: 'off'}
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'CI', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete base[name]
  return {...base, ...env}
}

/** stdout and stderr are pipes, stdin is empty. */
function piped(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawnSync(process.execPath, [bin, ...args], {cwd: root, encoding: 'utf8', env: cleanEnv(env)})
  return {status: child.status, stdout: child.stdout, stderr: child.stderr}
}

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

/**
 * The CLI on a pseudo-terminal (stdin, stdout and stderr all a TTY), as someone at a terminal
 * runs it; `answer` is typed once the output shows `when`.
 */
function atTerminal(args: string[], env: NodeJS.ProcessEnv = {}, answer?: {when: string; type: string}): Promise<{status: number | null; output: string}> {
  const command = `${[process.execPath, bin, ...args].map(quote).join(' ')}; echo "exit=$?"`
  const child = spawn('script', ['-qec', command, '/dev/null'], {cwd: root, env: cleanEnv({TERM: 'xterm-256color', ...env})})
  let output = ''
  let answered = false
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
    if (answer && !answered && output.includes(answer.when)) {
      answered = true
      child.stdin.write(answer.type)
    }
  })
  return new Promise((resolve) => child.on('close', () => resolve({status: Number(/exit=(\d+)/.exec(output)?.[1] ?? Number.NaN), output})))
}

/** oclif wraps an error's lines at the terminal width, with ` ›` in front of each: one line again. */
const unwrapped = (stderr: string) => stderr.replaceAll(/\s*\n ›\s+/g, ' ')

const SIMULATE = ['scp', 'simulate', '--target', 'prod', '--action', 'rds:DeleteDBCluster']

describe('colour in plain output', () => {
  it('FORCE_COLOR=1 colours a pipe: DENIED in red', () => {
    const run = piped(SIMULATE, {FORCE_COLOR: '1'})
    expect(run.status).toBe(1)
    expect(run.stdout.startsWith(`${ESC}31mDENIED${ESC}39m: rds:DeleteDBCluster at account:prod`)).toBe(true)
  })

  it('a pipe alone is not coloured, and --no-color wins over FORCE_COLOR', () => {
    const plain = piped(SIMULATE)
    expect(plain.stdout.startsWith('DENIED: rds:DeleteDBCluster at account:prod')).toBe(true)
    expect(plain.stdout).not.toContain(ESC)
    const refused = piped([...SIMULATE, '--no-color'], {FORCE_COLOR: '1'})
    expect(refused.stdout).toBe(plain.stdout)
    expect(refused.status).toBe(1)
  })

  it('a terminal is coloured; NO_COLOR=1 or --no-color there prints the same text without escapes', async () => {
    const coloured = await atTerminal(SIMULATE)
    expect(coloured.status).toBe(1)
    expect(coloured.output).toContain(`${ESC}31mDENIED${ESC}39m: rds:DeleteDBCluster`)
    for (const [args, env] of [[SIMULATE, {NO_COLOR: '1'}], [[...SIMULATE, '--no-color'], {}]] as const) {
      const plain = await atTerminal([...args], env)
      expect(plain.status).toBe(1)
      expect(plain.output).toContain('DENIED: rds:DeleteDBCluster')
      expect(plain.output).not.toContain(ESC)
      expect(plain.output).toBe(coloured.output.replaceAll(/\u001B\[\d+m/g, ''))
    }
  })

  it('--json is never coloured, even with FORCE_COLOR', () => {
    const run = piped([...SIMULATE, '--json'], {FORCE_COLOR: '3'})
    expect(run.stdout).not.toContain(ESC)
    expect(JSON.parse(run.stdout).decision).toBe('denied')
  })
})

describe('did you mean', () => {
  it('without a terminal: the suggestion, no prompt, exit 2', () => {
    const deplyo = piped(['deplyo', '--stage', 'all'])
    expect(deplyo.status).toBe(2)
    expect(unwrapped(deplyo.stderr)).toContain('command deplyo not found. Did you mean fintech deploy?')
    expect(unwrapped(deplyo.stderr)).toContain('Try this: fintech help')
    const stp = piped(['shutdown', 'stp', '--env', 'dev'])
    expect(stp.status).toBe(2)
    expect(unwrapped(stp.stderr)).toContain('command shutdown stp not found. Did you mean fintech shutdown stop?')
    expect(unwrapped(stp.stderr)).toContain('Try this: fintech help shutdown')
    expect(stp.stdout).toBe('')
  })

  it('at a terminal it asks; yes runs the suggested command with the same arguments, no exits 2', async () => {
    const yes = await atTerminal(['shutdown', 'stp'], {}, {when: 'Did you mean', type: 'y\r'})
    expect(yes.output).toContain('shutdown stop')
    // shutdown stop itself answered: its required --env is missing.
    expect(yes.output).toContain('Missing required flag env')
    expect(yes.status).toBe(2)
    const no = await atTerminal(['deplyo'], {}, {when: 'Did you mean', type: 'n\r'})
    expect(no.output).toContain('for a list of available commands')
    expect(no.status).toBe(2)
  })

  it('a word far from every command gets no suggestion and no prompt, piped or at a terminal: exit 2 and the help to read', async () => {
    const run = piped(['xyzzy'])
    expect(run.status).toBe(2)
    expect(unwrapped(run.stderr)).toContain('command xyzzy not found')
    expect(unwrapped(run.stderr)).toContain('Try this: fintech help')
    expect(run.stderr).not.toContain('Did you mean')
    const asked = await atTerminal(['xyzzy'])
    expect(asked.status).toBe(2)
    expect(asked.output).toContain('command xyzzy not found')
    expect(asked.output).not.toContain('Did you mean')
  })

  it('a runbook name still runs as fintech runbook NAME: its own errors, not a suggestion', () => {
    const run = piped(['runbook', 'nosuch', '--env', 'dev'])
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('no runbook nosuch')
    expect(run.stderr).not.toContain('Did you mean')
  })
})

describe('flags', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {flags: Record<string, {char?: string; allowNo?: boolean}>}>}
  const commands = Object.entries(manifest.commands)

  it('every command that takes --yes takes -y too', () => {
    const withYes = commands.filter(([, command]) => command.flags.yes)
    expect(withYes.map(([id]) => id)).toEqual(expect.arrayContaining(['deploy', 'destroy', 'redis:backup', 'redis:failover', 'redis:patch', 'redis:restore', 'runbook:run', 'runbook:resume', 'scp:apply', 'tags:fix']))
    expect(withYes.filter(([, command]) => command.flags.yes!.char !== 'y').map(([id]) => id)).toEqual([])
  })

  it('every command has --color and --no-color', () => {
    expect(commands.filter(([, command]) => !command.flags.color?.allowNo).map(([id]) => id)).toEqual([])
  })

  it('commands that never call AWS offer no --profile or --region; scp simulate keeps --region as the request\'s region', () => {
    const offline = ['validate', 'scp:validate', 'runbook:list', 'runbook:show', 'runbook:export']
    for (const id of offline) expect(Object.keys(manifest.commands[id]!.flags), id).not.toEqual(expect.arrayContaining(['profile']))
    for (const id of offline) expect(Object.keys(manifest.commands[id]!.flags), id).not.toContain('region')
    expect(Object.keys(manifest.commands['scp:simulate']!.flags)).not.toContain('profile')
    expect(manifest.commands['scp:simulate']!.flags.region).toBeDefined()
    expect(Object.keys(manifest.commands.deploy!.flags)).toEqual(expect.arrayContaining(['profile', 'region']))
  })

  it('-y is --yes: redis failover takes either, and answers the same', () => {
    const short = piped(['redis', 'failover', '--env', 'prod', '-y', '--dry-run'], NO_CREDENTIALS)
    const long = piped(['redis', 'failover', '--env', 'prod', '--yes', '--dry-run'], NO_CREDENTIALS)
    expect(short.stderr).not.toContain('Nonexistent flag')
    expect({status: short.status, stdout: short.stdout, stderr: short.stderr}).toEqual({status: long.status, stdout: long.stdout, stderr: long.stderr})
  })

  it('shutdown plan and shutdown status have descriptions in their help', () => {
    expect(piped(['shutdown', 'plan', '--help']).stdout).toContain('DESCRIPTION')
    expect(piped(['shutdown', 'status', '--help']).stdout).toContain('DESCRIPTION')
  })
})

describe('the missing-credentials hint', () => {
  it('offers --offline to deploy, which has it', () => {
    const run = piped(['deploy', '--stage', 'all', '--env', 'dev'], NO_CREDENTIALS)
    expect(run.status).toBe(1)
    expect(unwrapped(run.stderr)).toContain('Try this: sign in (e.g. aws sso login), or pass --profile; --offline plans without AWS')
  })

  it('not to shutdown status, which has no --offline', () => {
    const run = piped(['shutdown', 'status', '--env', 'dev'], NO_CREDENTIALS)
    expect(run.status).toBe(1)
    expect(unwrapped(run.stderr)).toContain('Try this: sign in (e.g. aws sso login), or pass --profile')
    expect(run.stderr).not.toContain('--offline')
  })
})
