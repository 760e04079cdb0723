import {describe, expect, it} from 'vitest'
import {parseRunbook} from '../../../src/core/runbook/load.js'
import {commandWithVariables, quotingOfReferences} from '../../../src/core/runbook/shell.js'

const quotings = (script: string) => [...quotingOfReferences(script).values()]

describe('where a reference stands in a bash script', () => {
  it('tells bare words, double quotes, single quotes and comments apart', () => {
    expect(quotings(`echo {{ a }} x{{ b }} "in {{ c }}" 'in {{ d }}' # {{ e }}`)).toEqual(['bare', 'bare', 'double', 'single', 'single'])
  })

  it('follows $( … ) and backquotes, also inside double quotes', () => {
    expect(quotings('echo "$(cat {{ a }})" `cat {{ b }}` "`cat {{ c }}` {{ d }}" $(( {{ e }} + 1 ))')).toEqual(['bare', 'bare', 'bare', 'double', 'bare'])
  })

  it('knows a here-document body, quoted delimiter or not, and where it ends', () => {
    expect(quotings(`cat <<EOF\n{{ a }}\nEOF\necho {{ b }}\ncat <<-'END' > f\n\t{{ c }}\n\tEND\ncat <<< {{ d }}`)).toEqual(['heredoc', 'bare', 'heredoc', 'bare'])
  })

  it('takes a backslash as escaping the next character, and a quote inside double quotes as text', () => {
    expect(quotings(`echo \\" {{ a }} "it's {{ b }}"`)).toEqual(['bare', 'double'])
  })
})

describe('a command with its references as variables', () => {
  it('double-quotes a bare one so it stays one word, and names each distinct reference once', () => {
    expect(commandWithVariables(`rm -f {{ params.file }} && echo "removed {{params.file}} at {{ time.now }}" 'not {{ params.file }}'`)).toEqual({
      command: `rm -f "\${FINTECH_VALUE_1}" && echo "removed \${FINTECH_VALUE_1} at \${FINTECH_VALUE_2}" 'not \${FINTECH_VALUE_1}'`,
      variables: {FINTECH_VALUE_1: '{{ params.file }}', FINTECH_VALUE_2: '{{ time.now }}'},
    })
  })

  it('leaves a command without references as it is', () => {
    expect(commandWithVariables('echo "$TARGET"')).toEqual({command: 'echo "$TARGET"', variables: {}})
  })
})

const RUNBOOK = (step: string) => `name: sample
title: Sample
description: d
whenToUse: w
severity: sev2
envs: [dev]
parameters:
  target: {type: string, description: the target}
steps:
${step}
prose: |
  ## When
  now
`

describe('validate and shell steps', () => {
  it('warns at the line of every reference written into a command, naming the step and saying to move it to env', () => {
    const read = parseRunbook(
      RUNBOOK(`  - name: promote
    kind: shell
    command: |
      echo start
      promote {{ params.target }}
      echo "done {{ params.target }}"`),
      'runbooks/sample.yaml',
    )
    expect(read.problems).toEqual([])
    expect(read.warnings.map((warning) => `${warning.file}:${warning.line} ${warning.kind} ${warning.message}`)).toEqual([
      `runbooks/sample.yaml:14 splice step promote: {{ params.target }} is written into the command; a value reaches a script only as an environment variable: move it to env (env: {VALUE: '{{ params.target }}'}) and read it as "$VALUE"`,
      `runbooks/sample.yaml:15 splice step promote: {{ params.target }} is written into the command; a value reaches a script only as an environment variable: move it to env (env: {VALUE: '{{ params.target }}'}) and read it as "$VALUE"`,
    ])
  })

  it('has nothing to say of a step that reads its values from env', () => {
    const read = parseRunbook(RUNBOOK(`  - name: promote\n    kind: shell\n    command: 'promote "$TARGET"'\n    env: {TARGET: '{{ params.target }}'}`), 'runbooks/sample.yaml')
    expect(read.problems).toEqual([])
    expect(read.warnings).toEqual([])
    expect(read.runbook?.steps[0]).toMatchObject({env: {TARGET: '{{ params.target }}'}})
  })

  it('refuses env names bash or the loader run code from, and the engine\'s own', () => {
    const read = parseRunbook(
      RUNBOOK(`  - name: promote
    kind: shell
    command: 'promote "$TARGET"'
    env:
      BASH_ENV: '{{ params.target }}'
      PS4: x
      LD_PRELOAD: x
      PATH: /tmp
      FINTECH_VALUE_1: x
      TARGET: ok`),
      'runbooks/sample.yaml',
    )
    expect(read.problems.map((problem) => `${problem.line} ${problem.kind} ${problem.message}`)).toEqual([
      '14 schema BASH_ENV is read by bash or the dynamic loader, so a value there could run something: choose another name',
      '15 schema PS4 is read by bash or the dynamic loader, so a value there could run something: choose another name',
      '16 schema LD_PRELOAD is read by bash or the dynamic loader, so a value there could run something: choose another name',
      '17 schema PATH is read by bash or the dynamic loader, so a value there could run something: choose another name',
      '18 schema FINTECH_VALUE_* are set by the engine for references left in the command: choose another name',
    ])
  })

  it('refuses a secret in the env of a step run through SSM Run Command, whose history keeps its script', () => {
    const text = RUNBOOK(`  - name: promote
    kind: shell
    command: 'promote "$TOKEN"'
    env: {TOKEN: '{{ params.token }}'}
    instanceTag: {key: role, value: redis}`).replace('parameters:\n', 'parameters:\n  token: {type: string, description: t, secret: true}\n')
    expect(parseRunbook(text, 'runbooks/sample.yaml').problems.map((problem) => `${problem.line} ${problem.kind} ${problem.message}`)).toEqual([
      "14 reference {{ params.token }} is secret: a command run through SSM Run Command (instanceTag) is kept in clear in the command's history",
    ])
  })
})
