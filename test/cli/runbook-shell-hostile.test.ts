import {ListCommandInvocationsCommand, SendCommandCommand, SSMClient} from '@aws-sdk/client-ssm'
import {mockClient} from 'aws-sdk-client-mock'
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {runShellScriptOnTagged} from '../../src/aws/ssm.js'
import {runbookShell} from '../../src/cli/runbook-run.js'
import {executeRunbook, type RunbookShell} from '../../src/core/runbook/engine.js'
import {fakes, freshState, runbookOf} from '../helpers/runbook-fakes.js'

/**
 * Values an attacker could put in a parameter or an AWS answer (a tag, a service name), run
 * by real bash in every quoting context a script may use them in: nothing they hold may run.
 */
const work = mkdtempSync(join(tmpdir(), 'fintech-hostile-'))
const PWNED = join(work, 'PWNED')
afterAll(() => rmSync(work, {recursive: true, force: true}))

const HOSTILE: Record<string, string> = {
  'command substitution': `$(touch ${PWNED})`,
  backquotes: `\`touch ${PWNED}\``,
  'single-quote break-out': `'; touch ${PWNED}; '`,
  'double-quote break-out': `"; touch ${PWNED}; "`,
  'escaped substitution': `\\$(touch ${PWNED})`,
  'newline then a command': `\ntouch ${PWNED}`,
  'here-document end': `EOF\ntouch ${PWNED}\nEOF`,
  'trailing newlines and a glob': `* ${PWNED}\n\n`,
  'parameter expansion': '${PATH}$HOME',
}

/** What command substitution makes of a value: its trailing newlines go. */
const substituted = (value: string) => value.replace(/\n+$/, '')

/**
 * Each context: the command (writing what it received to "$OUT") and what "$OUT" must then
 * hold, byte for byte; undefined where only "nothing runs" is promised (a bare $VALUE is split
 * and globbed by bash, as the docs say).
 */
const CONTEXTS: Array<{name: string; command: string; env?: boolean; bashOnly?: boolean; expect: (value: string) => string | undefined}> = [
  {name: 'env "$VALUE"', env: true, command: `printf '%s' "$VALUE" > "$OUT"`, expect: (value) => value},
  {name: 'env inside double quotes', env: true, command: `printf '%s' "before $VALUE after" > "$OUT"`, expect: (value) => `before ${value} after`},
  {name: 'env inside single quotes', env: true, command: `printf '%s' 'before $VALUE after' > "$OUT"`, expect: () => 'before $VALUE after'},
  {name: 'env in a here-document', env: true, command: `cat > "$OUT" <<EOF\n$VALUE\nEOF`, expect: (value) => `${value}\n`},
  {name: 'env in a quoted here-document', env: true, command: `cat > "$OUT" <<'EOF'\n$VALUE\nEOF`, expect: () => '$VALUE\n'},
  {name: 'env inside $(...)', env: true, command: `printf '%s' "$(printf '%s' "$VALUE")" > "$OUT"`, expect: substituted},
  {name: 'env bare $VALUE', env: true, command: `printf '%s|' $VALUE > "$OUT"`, expect: () => undefined},
  {name: 'reference bare', command: `printf '%s' {{ REF }} > "$OUT"`, expect: (value) => value},
  {name: 'reference inside double quotes', command: `printf '%s' "before {{ REF }} after" > "$OUT"`, expect: (value) => `before ${value} after`},
  {name: 'reference inside single quotes', command: `printf '%s' 'before {{ REF }} after' > "$OUT"`, expect: () => 'before ${FINTECH_VALUE_1} after'},
  {name: 'reference in a here-document', command: `cat > "$OUT" <<EOF\n{{ REF }}\nEOF`, expect: (value) => `${value}\n`},
  {name: 'reference in a quoted here-document', command: `cat > "$OUT" <<'EOF'\n{{ REF }}\nEOF`, expect: () => '${FINTECH_VALUE_1}\n'},
  {name: 'reference in a <<- here-document', command: `cat > "$OUT" <<-"END"\n\t{{ REF }}\n\tEND`, expect: () => '${FINTECH_VALUE_1}\n'},
  {name: 'reference in a here-string', bashOnly: true, command: `cat > "$OUT" <<< {{ REF }}`, expect: (value) => `${value}\n`},
  {name: 'reference inside $(...)', command: `RECEIVED=$(printf '%s' {{ REF }}); printf '%s' "$RECEIVED" > "$OUT"`, expect: substituted},
  {name: 'reference inside "$(...)"', command: `printf '%s' "$(printf '%s' {{ REF }})" > "$OUT"`, expect: substituted},
  {name: 'reference inside backquotes', command: `printf '%s' "\`printf '%s' {{ REF }}\`" > "$OUT"`, expect: substituted},
  {name: 'reference after a comment', command: `# prints {{ REF }}\nprintf '%s' {{ REF }} > "$OUT"`, expect: (value) => value},
]

/** A runbook whose value comes from a parameter, or from an EC2 tag an aws step read. */
function hostileRunbook(source: 'parameter' | 'AWS output') {
  const reference = source === 'parameter' ? '{{ params.value }}' : '{{ steps.tag.outputs.Value }}'
  const read =
    source === 'AWS output'
      ? `  - name: tag
    kind: aws
    service: ec2
    api: DescribeTags
    outputs: {Value: '$.Tags[0].Value'}
`
      : ''
  const steps = CONTEXTS.map(
    (context, index) => `  - name: context-${index}
    kind: shell
    onFailure: continue
    command: ${JSON.stringify(context.command.replaceAll('{{ REF }}', reference))}
    env: {OUT: ${JSON.stringify(join(work, `out-${index}`))}${context.env ? `, VALUE: '${reference}'` : ''}}`,
  ).join('\n')
  return runbookOf(`${read}${steps}`, source === 'parameter' ? '{value: {type: string, description: what an attacker typed}}' : '{}')
}

function assertNothingRan(source: string, value: string, shell: 'bash' | 'sh' = 'bash') {
  expect(existsSync(PWNED), `${source} ran`).toBe(false)
  CONTEXTS.forEach((context, index) => {
    const wanted = context.expect(value)
    if (wanted === undefined || (context.bashOnly && shell === 'sh')) return
    expect(readFileSync(join(work, `out-${index}`), 'utf8'), context.name).toBe(wanted)
  })
}

async function runHostile(source: 'parameter' | 'AWS output', value: string, shell: RunbookShell) {
  const runbook = hostileRunbook(source)
  const fake = fakes({'ec2:DescribeTags': () => ({Tags: [{Key: 'Name', Value: value}]})})
  fake.deps.shell = shell
  const state = await executeRunbook(runbook, freshState(runbook, source === 'parameter' ? {value} : {}), fake.deps)
  expect(state.status).toBe('succeeded')
  return state
}

beforeEach(() => rmSync(PWNED, {force: true}))

describe('shell steps run here: a hostile value never runs, and arrives byte for byte', () => {
  for (const source of ['parameter', 'AWS output'] as const) {
    for (const [kind, value] of Object.entries(HOSTILE)) {
      it(`${kind}, from ${source === 'parameter' ? 'a parameter' : 'an AWS output'}`, async () => {
        const state = await runHostile(source, value, runbookShell({region: 'eu-west-1'}, 'dev'))
        expect(existsSync(PWNED), 'the value ran').toBe(false)
        const failed = Object.entries(state.steps).filter(([, record]) => record.status !== 'succeeded')
        expect(failed).toEqual([])
        assertNothingRan(source, value)
      })
    }
  }
})

describe('a shell step run here', () => {
  it('reads an empty stdin: a command that reads it ends instead of waiting on a pipe nobody writes to', async () => {
    const result = await runbookShell({region: 'eu-west-1'}, 'dev').run('cat; echo read-to-end', {env: {}, timeoutSeconds: 10, signal: new AbortController().signal})
    expect(result).toEqual({exitCode: 0, stdout: 'read-to-end', stderr: ''})
  })
})

describe('shell steps run on instances through SSM: the script SSM gets runs nothing a value holds', () => {
  const ssm = mockClient(SSMClient)
  beforeEach(() => {
    ssm.reset()
    ssm.on(SendCommandCommand).resolves({Command: {CommandId: 'cmd-1'}})
    ssm.on(ListCommandInvocationsCommand).resolves({CommandInvocations: [{InstanceId: 'i-1', Status: 'Success', CommandPlugins: [{Output: ''}]}]})
  })

  /**
   * The instance: each script SSM was sent, run by a fresh `shell` with nothing of the run's
   * environment and no stdin, as the agent runs it; their exit codes, in order. A small shell
   * starts them one after the other: a spawn from this worker for each of the 648 scripts took
   * these cases from 28 s of CPU to 40 s.
   */
  async function runOnInstance(shell: 'bash' | 'sh', scripts: string[][]): Promise<number[]> {
    const eachScript = 'for script do "$0" -c "$script" </dev/null >/dev/null 2>&1; echo $?; done'
    const result = await execa('sh', ['-c', eachScript, shell, ...scripts.map((commands) => commands.join('\n'))], {env: {PATH: process.env.PATH}, extendEnv: false, stdin: 'ignore'})
    return result.stdout.split('\n').map(Number)
  }

  /** runbookShell's remote path with a clock that does not wait: the commands SSM got are kept. */
  const remoteShell = (sent: string[][]): RunbookShell => ({
    async run(command, {env, signal}) {
      const result = await runShellScriptOnTagged({region: 'eu-west-1'}, {tag: {key: 'role', value: 'redis'}, environment: 'dev'}, [command], {env, comment: `fintech runbook: ${command}`, timeoutSeconds: 60, signal, sleep: async () => undefined})
      sent.push(ssm.commandCalls(SendCommandCommand).at(-1)!.args[0].input.Parameters!.commands!)
      return result
    },
  })

  // AWS-RunShellScript runs its script with the instance's sh: bash on Amazon Linux, dash on Ubuntu.
  for (const shell of ['bash', 'sh'] as const) {
    for (const source of ['parameter', 'AWS output'] as const) {
      for (const [kind, value] of Object.entries(HOSTILE)) {
        it(`${kind}, from ${source === 'parameter' ? 'a parameter' : 'an AWS output'}, run by ${shell} on the instance`, async () => {
          const sent: string[][] = []
          await runHostile(source, value, remoteShell(sent))
          expect(sent).toHaveLength(CONTEXTS.length)
          for (const commands of sent) expect(commands.join('\n')).not.toContain(value.trim())
          const runnable = CONTEXTS.flatMap((context, index) => (shell === 'sh' && context.bashOnly ? [] : [index]))
          const exitCodes = await runOnInstance(shell, runnable.map((index) => sent[index]!))
          expect(Object.fromEntries(runnable.map((index, run) => [CONTEXTS[index]!.name, exitCodes[run]]))).toEqual(Object.fromEntries(runnable.map((index) => [CONTEXTS[index]!.name, 0])))
          assertNothingRan(source, value, shell)
          const comments = ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input.Comment!)
          expect(comments.filter((comment) => comment.includes(value.trim()))).toEqual([])
        })
      }
    }
  }

  it('runbookShell sends the values as export lines before the command, and the comment holds the command, not the values', async () => {
    const result = await runbookShell({region: 'eu-west-1'}, 'dev').run('printf "%s" "$VALUE" > "$OUT"', {env: {VALUE: HOSTILE['here-document end']!, OUT: join(work, 'remote')}, instanceTag: {key: 'role', value: 'redis'}, signal: new AbortController().signal})
    expect(result.exitCode).toBe(0)
    const input = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input
    expect(input.Comment).toMatch(/^fintech runbook: printf "%s" "\$VALUE" > "\$OUT" #[0-9a-f]{12}$/)
    const commands = input.Parameters!.commands!
    expect(commands.slice(0, 2)).toEqual([
      `VALUE=$(printf '%s' '${Buffer.from(HOSTILE['here-document end']!).toString('base64')}' | base64 -d; printf x); VALUE=\${VALUE%x}; export VALUE`,
      `OUT=$(printf '%s' '${Buffer.from(join(work, 'remote')).toString('base64')}' | base64 -d; printf x); OUT=\${OUT%x}; export OUT`,
    ])
    expect(commands[2]).toBe('printf "%s" "$VALUE" > "$OUT"')
    expect(await runOnInstance('sh', [commands])).toEqual([0])
    expect(readFileSync(join(work, 'remote'), 'utf8')).toBe(HOSTILE['here-document end'])
    expect(existsSync(PWNED)).toBe(false)
  })
})
