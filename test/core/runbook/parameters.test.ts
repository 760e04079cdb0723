import {describe, expect, it} from 'vitest'
import {checkGivenParams, parseParamFlags, resolveRunbookParams, secretParamsToResume} from '../../../src/core/runbook/parameters.js'
import type {Runbook, RunbookParameter} from '../../../src/core/runbook/schema.js'
import {REDACTED} from '../../../src/core/runbook/secrets.js'

const runbookWith = (parameters: Record<string, RunbookParameter>): Runbook => ({
  name: 'sample',
  title: 't',
  description: 'd',
  whenToUse: 'w',
  severity: 'sev2',
  region: 'env',
  envs: ['dev'],
  parameters,
  steps: [],
  prose: 'p',
  file: 'runbooks/sample.yaml',
})

const SAMPLE = runbookWith({
  targetInstance: {type: 'string', description: 'the reader to promote', from: {stackOutput: 'db.ReaderInstanceId'}},
  note: {type: 'string', description: 'a note', default: '', allowEmpty: true},
  desiredCount: {type: 'number', description: 'tasks', default: 2},
})

const refusal = (act: () => unknown) => {
  try {
    act()
  } catch (error) {
    return {name: (error as Error).name, message: (error as Error).message, hint: (error as {hint?: string}).hint}
  }
  throw new Error('not refused')
}

describe('empty parameter values', () => {
  it('refuses an empty --param value (exit 2) naming the parameter and the flag', () => {
    expect(refusal(() => checkGivenParams(SAMPLE, parseParamFlags(['targetInstance='])))).toEqual({name: 'InputError', message: '--param targetInstance=: targetInstance may not be empty (the reader to promote)', hint: 'give it a value'})
  })

  it('takes a value of spaces for empty, and names every empty one at once', () => {
    expect(refusal(() => checkGivenParams(SAMPLE, parseParamFlags(['targetInstance=  ', 'desiredCount=']))).message).toBe(
      '--param targetInstance=, desiredCount=: targetInstance may not be empty (the reader to promote); desiredCount may not be empty (tasks)',
    )
  })

  it('accepts an empty value where the parameter allows it', () => {
    expect(checkGivenParams(SAMPLE, parseParamFlags(['note=', 'targetInstance=db-2']))).toEqual({note: '', targetInstance: 'db-2'})
  })

  it('refuses an empty value a calling runbook passes, naming where it came from', () => {
    expect(refusal(() => checkGivenParams(SAMPLE, {targetInstance: ''}, 'step parameters of runbook')).message).toBe('step parameters of runbook targetInstance=: targetInstance may not be empty (the reader to promote)')
  })

  it('refuses an empty value from the parameter\'s source, and says how to give one', async () => {
    await expect(resolveRunbookParams(SAMPLE, {}, async () => '')).rejects.toMatchObject({
      name: 'InputError',
      message: 'stack output db.ReaderInstanceId is empty: targetInstance may not be empty (the reader to promote)',
      hint: 'give it with --param targetInstance=VALUE',
    })
    const allowed = runbookWith({targetInstance: {...SAMPLE.parameters.targetInstance!, allowEmpty: true}})
    await expect(resolveRunbookParams(allowed, {}, async () => '')).resolves.toEqual({targetInstance: ''})
  })

  it('refuses an empty secret given again to a resume', () => {
    const rotate = runbookWith({apiKey: {type: 'string', description: 'the API key', secret: true}})
    expect(refusal(() => secretParamsToResume(rotate, {apiKey: REDACTED}, parseParamFlags(['apiKey=']))).message).toBe('--param apiKey=: apiKey may not be empty (the API key)')
  })
})
