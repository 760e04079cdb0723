import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import type {SsmStep} from '../../src/core/runbook/ssm.js'

const HANDLER = fileURLToPath(new URL('../fixtures/ssm-automation/run-handler.py', import.meta.url))
const REFERENCE = /\{\{\s*([^{}\s]+)\s*\}\}/g
const WHOLE = /^\{\{\s*([^{}\s]+)\s*\}\}$/

/** What SSM does to a step's inputs before it runs: a whole `{{ X }}` takes X's value and type, one inside text becomes text. */
export function substitute(value: unknown, values: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole && whole[1]! in values) return values[whole[1]!]
    return value.replace(REFERENCE, (text, name: string) => (name in values ? String(values[name]) : text))
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]))
  return value
}

export interface HandlerRun {
  result?: any
  error?: string
  calls: Array<{service: string; method: string; request: any}>
}

/** Runs an exported aws:executeScript step's handler in python3 with a stand-in boto3 answering `answers` ("ssm.send_command": {...}). */
export function runHandler(step: SsmStep, values: Record<string, unknown>, answers: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): HandlerRun {
  const inputs = step.inputs as {Script: string; Handler: string; InputPayload: Record<string, unknown>}
  const events = {...(substitute(inputs.InputPayload, values) as Record<string, unknown>), ...overrides}
  const run = spawnSync('python3', [HANDLER], {input: JSON.stringify({script: inputs.Script, handler: inputs.Handler, events, answers}), encoding: 'utf8'})
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as HandlerRun
}

/** Answers for a Run Command that every instance ran successfully. */
export const RUN_COMMAND_SUCCEEDS = {
  'ssm.send_command': {Command: {CommandId: 'c-0123'}},
  'ssm.describe_instance_information': [{InstanceInformationList: [{InstanceId: 'i-0bbb', PingStatus: 'Online'}, {InstanceId: 'i-0aaa', PingStatus: 'Online'}, {InstanceId: 'i-0000', PingStatus: 'ConnectionLost'}]}],
  'ssm.list_command_invocations': [{CommandInvocations: [{InstanceId: 'i-0aaa', Status: 'Success', CommandPlugins: [{Output: 'done\n'}]}]}],
}
