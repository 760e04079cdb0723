/**
 * Secrets in runbook runs: a secret-returning call's outputs, outputs and parameters marked
 * secret, and what is made from them reach the later steps, but never the saved state, an
 * audit entry, an event or a failure message; a resume reads again what it needs.
 */
import {describe, expect, it} from 'vitest'
import {executeRunbook, secretsToRecover, type RunbookEvent} from '../../../src/core/runbook/engine.js'
import {REDACTED, secretCall, SecretValues} from '../../../src/core/runbook/secrets.js'
import {fakes, freshState, runbookOf, type Fakes, type Handler} from '../../helpers/runbook-fakes.js'

const PASSWORD = 'hunter2-ledger-admin'
const TOKEN = 'sig-token-7f3a9c'
const API_KEY = 'KEY-SECRET-0001'

/** The admin password from Secrets Manager, a token marked secret, both used by later steps. */
const ROTATE = runbookOf(
  `  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs:
      password: $.SecretString
      version: $.VersionId
  - name: signing-token
    kind: aws
    service: ssm
    api: GetParameter
    parameters: {Name: /ledger/signing-token}
    outputs:
      token: {selector: $.Parameter.Value, secret: true}
      name: $.Parameter.Name
  - name: scale-down
    kind: aws
    service: ecs
    api: UpdateService
    parameters: {service: ledger, desiredCount: 0}
  - name: rotate
    kind: aws
    service: rds
    api: ModifyDBCluster
    parameters: {DBClusterIdentifier: ledger, MasterUserPassword: '{{ steps.current.outputs.password }}', ApplyImmediately: true}
  - name: publish
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /ledger/api, Value: '{{ steps.signing-token.outputs.token }}:{{ params.apiKey }}', Type: SecureString, Overwrite: true}`,
  '{apiKey: {type: string, description: the API key, secret: true}}',
)

function world(overrides: Record<string, Handler> = {}): Record<string, Handler> {
  return {
    'secretsmanager:GetSecretValue': () => ({ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ledger/admin', SecretString: PASSWORD, VersionId: 'v-1'}),
    'ssm:GetParameter': () => ({Parameter: {Name: '/ledger/signing-token', Value: TOKEN}}),
    'ecs:UpdateService': () => ({}),
    'rds:ModifyDBCluster': () => ({DBCluster: {Status: 'available'}}),
    'ssm:PutParameter': () => ({Version: 2}),
    ...overrides,
  }
}

/** Everything the engine hands out: saved states, audit entries, events. */
function recorded(fake: Fakes, events: RunbookEvent[]): string {
  return JSON.stringify({saves: fake.saves, audit: fake.audit, events})
}

function withEvents(fake: Fakes): RunbookEvent[] {
  const events: RunbookEvent[] = []
  fake.deps.onEvent = (event) => events.push(structuredClone(event))
  return events
}

const rotateState = () => freshState(ROTATE, {apiKey: REDACTED})

describe('runbook secrets: a run', () => {
  it('gives later steps the secret values and keeps them out of every save, audit entry and event', async () => {
    const fake = fakes(world())
    const events = withEvents(fake)
    const state = await executeRunbook(ROTATE, rotateState(), fake.deps, {apiKey: API_KEY})
    expect(state.status).toBe('succeeded')
    expect(fake.calls.find((call) => call.api === 'rds:ModifyDBCluster')!.parameters).toEqual({DBClusterIdentifier: 'ledger', MasterUserPassword: PASSWORD, ApplyImmediately: true})
    expect(fake.calls.find((call) => call.api === 'ssm:PutParameter')!.parameters.Value).toBe(`${TOKEN}:${API_KEY}`)
    // Every output of a call that returns a secret, only the marked one of another.
    expect(state.steps.current!.outputs).toEqual({password: REDACTED, version: REDACTED})
    expect(state.steps['signing-token']!.outputs).toEqual({token: REDACTED, name: '/ledger/signing-token'})
    expect(state.params).toEqual({apiKey: REDACTED})
    const out = recorded(fake, events)
    for (const secret of [PASSWORD, TOKEN, API_KEY]) expect(out).not.toContain(secret)
    expect(fake.audit.find((entry) => entry.step === 'rotate' && entry.result === 'ok')!.request).toBe('rds:ModifyDBCluster {"DBClusterIdentifier":"ledger","MasterUserPassword":"{{ steps.current.outputs.password }}","ApplyImmediately":true}')
    expect(fake.audit.find((entry) => entry.step === 'publish' && entry.result === 'ok')!.request).toContain('"Value":"{{ steps.signing-token.outputs.token }}:{{ params.apiKey }}"')
  })

  it('says an error that quotes a secret without it', async () => {
    const fake = fakes(
      world({
        'rds:ModifyDBCluster': ({MasterUserPassword}) => {
          throw Object.assign(new Error(`The parameter MasterUserPassword '${MasterUserPassword}' is not a valid password`), {name: 'InvalidParameterValue', $metadata: {httpStatusCode: 400}})
        },
      }),
    )
    const events = withEvents(fake)
    const state = await executeRunbook(ROTATE, rotateState(), fake.deps, {apiKey: API_KEY})
    expect(state).toMatchObject({status: 'failed', next: 'rotate'})
    expect(state.steps.rotate!.detail).toBe(`InvalidParameterValue: The parameter MasterUserPassword '${REDACTED}' is not a valid password`)
    expect(fake.audit.find((entry) => entry.step === 'rotate' && entry.result === 'failed')!.detail).toBe(state.steps.rotate!.detail)
    expect(recorded(fake, events)).not.toContain(PASSWORD)
  })

  it('says a failed check of a secret by its reference, and an assert on a secret-returning call without the value', async () => {
    const runbook = runbookOf(`  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs: {password: $.SecretString}
  - name: long-enough
    kind: script
    value: '{{ steps.current.outputs.password }}'
    equals: 'something else'
    onFailure: continue
  - name: still-set
    kind: assert
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    selector: $.SecretString
    expected: [rotated]`)
    const fake = fakes(world())
    const events = withEvents(fake)
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.steps['long-enough']!.detail).toBe('{{ steps.current.outputs.password }} is not equals something else')
    expect(state.steps['still-set']!.detail).toBe(`$.SecretString is ${REDACTED}, expected rotated`)
    expect(recorded(fake, events)).not.toContain(PASSWORD)
  })

  it('keeps secret what a step makes from a secret: a script\'s value, a command\'s output', async () => {
    const runbook = runbookOf(`  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs: {password: $.SecretString}
  - name: copy
    kind: script
    value: '{{ steps.current.outputs.password }}'
    notEquals: ''
    outputs: {value: $.value}
  - name: hash
    kind: shell
    command: 'sha256sum <<< "$VALUE"'
    env: {VALUE: '{{ steps.copy.outputs.value }}'}
    outputs: {out: $.stdout, code: {selector: $.exitCode, type: Integer}}`)
    const fake = fakes(world())
    const events = withEvents(fake)
    const state = await executeRunbook(runbook, freshState(runbook), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.at(-1)).toEqual({api: 'shell', parameters: {command: 'sha256sum <<< "$VALUE"', env: {VALUE: PASSWORD}}})
    expect(state.steps.copy!.outputs).toEqual({value: REDACTED})
    expect(state.steps.hash!.outputs).toEqual({out: REDACTED, code: REDACTED})
    expect(fake.audit.find((entry) => entry.step === 'hash')!.request).toBe('$ sha256sum <<< "$VALUE" with VALUE="{{ steps.copy.outputs.value }}"')
    expect(recorded(fake, events)).not.toContain(PASSWORD)
  })

  it('passes a secret to a called runbook as a secret parameter, and its secret outputs back as secret', async () => {
    const child = runbookOf(
      `  - name: set-password
    kind: aws
    service: rds
    api: ModifyDBCluster
    parameters: {DBClusterIdentifier: ledger, MasterUserPassword: '{{ params.password }}'}
  - name: token
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/token}
    outputs: {value: $.SecretString}`,
      '{password: {type: string, description: the new password}, cluster: {type: string, description: c, default: ledger}}',
      'child',
    )
    const parent = runbookOf(`  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs: {password: $.SecretString}
  - name: apply
    kind: runbook
    runbook: child
    parameters: {password: '{{ steps.current.outputs.password }}'}
    outputs: {token: $.steps.token.value}
  - name: use
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /t, Value: '{{ steps.apply.outputs.token }}'}`)
    const fake = fakes(
      world({'secretsmanager:GetSecretValue': ({SecretId}) => ({SecretString: SecretId === 'ledger/token' ? TOKEN : PASSWORD})}),
      {childRunbooks: {child}},
    )
    const events = withEvents(fake)
    const state = await executeRunbook(parent, freshState(parent), fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.find((call) => call.api === 'rds:ModifyDBCluster')!.parameters.MasterUserPassword).toBe(PASSWORD)
    expect(fake.calls.find((call) => call.api === 'ssm:PutParameter')!.parameters.Value).toBe(TOKEN)
    expect(state.steps.apply!.child!.params).toEqual({password: REDACTED, cluster: 'ledger'})
    expect(state.steps.apply!.outputs).toEqual({token: REDACTED})
    const out = recorded(fake, events)
    expect(out).not.toContain(PASSWORD)
    expect(out).not.toContain(TOKEN)
  })

  it('shows a secret as its reference in a dry run\'s plan', async () => {
    const fake = fakes(world())
    const state = await executeRunbook(ROTATE, freshState(ROTATE, {apiKey: REDACTED}, true), fake.deps, {apiKey: API_KEY})
    expect(state.steps.rotate).toMatchObject({status: 'planned', detail: 'would run: rds:ModifyDBCluster {"DBClusterIdentifier":"ledger","MasterUserPassword":"{{ steps.current.outputs.password }}","ApplyImmediately":true}'})
    expect(fake.calls.map((call) => call.api)).toEqual(['secretsmanager:GetSecretValue', 'ssm:GetParameter'])
    expect(JSON.stringify(state)).not.toContain(PASSWORD)
  })
})

describe('runbook secrets: a resume', () => {
  async function failedAtRotate() {
    const fake = fakes(
      world({
        'rds:ModifyDBCluster': () => {
          throw Object.assign(new Error('Cluster is modifying'), {name: 'InvalidDBClusterStateFault'})
        },
      }),
    )
    const failed = await executeRunbook(ROTATE, rotateState(), fake.deps, {apiKey: API_KEY})
    expect(failed).toMatchObject({status: 'failed', next: 'rotate'})
    // As the state file holds it.
    return JSON.parse(JSON.stringify(failed))
  }

  it('first reads again the secrets the steps from the resume point on need, and only those', async () => {
    const saved = await failedAtRotate()
    expect(secretsToRecover(ROTATE, saved, () => undefined).rerun.map((step) => step.name)).toEqual(['current', 'signing-token'])
    const fake = fakes(world())
    const events = withEvents(fake)
    const state = await executeRunbook(ROTATE, saved, fake.deps, {apiKey: API_KEY})
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.api)).toEqual(['secretsmanager:GetSecretValue', 'ssm:GetParameter', 'rds:ModifyDBCluster', 'ssm:PutParameter'])
    expect(fake.calls[2]!.parameters.MasterUserPassword).toBe(PASSWORD)
    expect(fake.calls[3]!.parameters.Value).toBe(`${TOKEN}:${API_KEY}`)
    expect(fake.audit.filter((entry) => entry.result !== 'started').map((entry) => entry.step)).toEqual(['current', 'signing-token', 'rotate', 'publish'])
    // While a step is read again, a crash would still leave the run to resume where it stopped.
    expect(fake.saves.slice(0, 4).map((save) => save.next)).toEqual(['rotate', 'rotate', 'rotate', 'rotate'])
    expect(recorded(fake, events)).not.toContain(PASSWORD)
  })

  it('does not read again a secret no later step needs', async () => {
    const saved = await failedAtRotate()
    const fake = fakes(world())
    await executeRunbook(ROTATE, {...saved, next: 'publish'}, fake.deps, {apiKey: API_KEY})
    expect(fake.calls.map((call) => call.api)).toEqual(['ssm:GetParameter', 'ssm:PutParameter'])
  })

  it('runs nothing again that changes something: the step needing its secret fails, saying how to get it back', async () => {
    const runbook = runbookOf(`  - name: mint
    kind: shell
    command: mint-token
    outputs: {token: {selector: $.stdout, secret: true}}
  - name: publish
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /t, Value: '{{ steps.mint.outputs.token }}'}`)
    const failing = fakes({
      'ssm:PutParameter': () => {
        throw Object.assign(new Error('Rate exceeded'), {name: 'ThrottlingException'})
      },
    })
    const failed = JSON.parse(JSON.stringify(await executeRunbook(runbook, freshState(runbook), failing.deps)))
    expect(failed.steps.mint.outputs).toEqual({token: REDACTED})
    expect(secretsToRecover(runbook, failed, () => undefined)).toEqual({rerun: [], unrecoverable: [{runbook: 'sample', step: 'mint', output: 'token', neededBy: 'publish', reason: 'changes something'}]})
    const fake = fakes({'ssm:PutParameter': () => ({})})
    const state = await executeRunbook(runbook, failed, fake.deps)
    expect(state).toMatchObject({status: 'failed', next: 'publish'})
    expect(state.steps.publish!.detail).toBe('{{ steps.mint.outputs.token }}: output token of step mint is secret and its value is not at hand (a state file never keeps it): resume --from mint reads it again')
    expect(fake.calls).toEqual([])
  })

  it('fills a called runbook\'s secret parameter again when it resumes inside it', async () => {
    const child = runbookOf(
      `  - name: set-password
    kind: aws
    service: rds
    api: ModifyDBCluster
    parameters: {DBClusterIdentifier: ledger, MasterUserPassword: '{{ params.password }}'}`,
      '{password: {type: string, description: the new password, secret: true}}',
      'child',
    )
    const parent = runbookOf(`  - name: current
    kind: aws
    service: secretsmanager
    api: GetSecretValue
    parameters: {SecretId: ledger/admin}
    outputs: {password: $.SecretString}
  - name: apply
    kind: runbook
    runbook: child
    parameters: {password: '{{ steps.current.outputs.password }}'}`)
    const failing = fakes(
      world({
        'rds:ModifyDBCluster': () => {
          throw new Error('network down')
        },
      }),
      {childRunbooks: {child}},
    )
    const failed = JSON.parse(JSON.stringify(await executeRunbook(parent, freshState(parent), failing.deps)))
    expect(failed.steps.apply.child).toMatchObject({status: 'failed', next: 'set-password', params: {password: REDACTED}})
    const fake = fakes(world(), {childRunbooks: {child}})
    const state = await executeRunbook(parent, failed, fake.deps)
    expect(state.status).toBe('succeeded')
    expect(fake.calls.map((call) => call.api)).toEqual(['secretsmanager:GetSecretValue', 'rds:ModifyDBCluster'])
    expect(fake.calls[1]!.parameters.MasterUserPassword).toBe(PASSWORD)
    expect(JSON.stringify(fake.saves)).not.toContain(PASSWORD)
  })
})

describe('secret-returning calls', () => {
  it('knows the calls that answer with a secret, and SSM only when it decrypts', () => {
    expect(secretCall('secretsmanager', 'GetSecretValue', {})).toEqual({reads: true})
    expect(secretCall('secretsmanager', 'BatchGetSecretValue', {})).toEqual({reads: true})
    expect(secretCall('sts', 'AssumeRole', {})).toEqual({reads: true})
    expect(secretCall('kms', 'Decrypt', {})).toEqual({reads: true})
    expect(secretCall('ecr', 'GetAuthorizationToken', {})).toEqual({reads: true})
    expect(secretCall('iam', 'CreateAccessKey', {})).toEqual({reads: false})
    expect(secretCall('ssm', 'GetParameters', {WithDecryption: true})).toEqual({reads: true})
    expect(secretCall('ssm', 'GetParametersByPath', {WithDecryption: '{{ params.decrypt }}'})).toEqual({reads: true})
    expect(secretCall('ssm', 'GetParameter', {})).toBeUndefined()
    expect(secretCall('ssm', 'GetParameter', {WithDecryption: false})).toBeUndefined()
    expect(secretCall('secretsmanager', 'DescribeSecret', {})).toBeUndefined()
    expect(secretCall('rds', 'DescribeDBClusters', {})).toBeUndefined()
  })

  it('finds a secret in text, as written and as JSON escapes it, the longest first', () => {
    const secrets = new SecretValues()
    secrets.add('p"ss\nword-1')
    secrets.add('p"ss')
    secrets.add(42)
    expect(secrets.scrub('got p"ss\nword-1 and {"v":"p\\"ss\\nword-1"} and p"ss, 42')).toBe(`got ${REDACTED} and {"v":"${REDACTED}"} and ${REDACTED}, 42`)
    expect(secrets.holds({value: 'x p"ss\nword-1'})).toBe(true)
    expect(secrets.holds('nothing here')).toBe(false)
  })
})
