/**
 * Empty parameter values as the on-call engineer types them (`-p targetInstance=`) or as a stack
 * output hands them over: refused, exit 2, before any change, unless the parameter allows empty.
 */
import {CloudFormationClient, DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {PutParameterCommand, SSMClient} from '@aws-sdk/client-ssm'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'
import RunbookResume from '../../src/commands/runbook/resume.js'
import RunbookRun from '../../src/commands/runbook/run.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'
import {isolateRunbookRuns} from '../helpers/runbook-fakes.js'

const mocks = {cfn: mockClient(CloudFormationClient), ssm: mockClient(SSMClient), sts: mockClient(STSClient)}
let sent: string[]

/** Publishes the target and a note; the target comes from the db stack's ReaderInstanceId output unless given. */
const PUBLISH = `name: publish
title: Publish
description: d
whenToUse: w
severity: sev3
envs: [dev]
parameters:
  target: {type: string, description: the reader to promote, from: {stackOutput: db.ReaderInstanceId}}
  note: {type: string, description: a note, default: '', allowEmpty: true}
  apiKey: {type: string, description: the API key, secret: true}
steps:
  - name: publish
    kind: aws
    service: ssm
    api: PutParameter
    parameters: {Name: /ledger/target, Value: '{{ params.target }}{{ params.note }}{{ params.apiKey }}', Type: SecureString, Overwrite: true}
prose: p
`

function platform(readerOutput: string, putFails = false) {
  mocks.sts.on(GetCallerIdentityCommand).callsFake(() => {
    sent.push('sts:GetCallerIdentity')
    return {Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/oncall/alice'}
  })
  mocks.cfn.on(DescribeStacksCommand).callsFake(({StackName}) => {
    sent.push('cfn:DescribeStacks')
    return {Stacks: [{StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{OutputKey: 'ReaderInstanceId', OutputValue: readerOutput}]}]}
  })
  mocks.ssm.on(PutParameterCommand).callsFake(({Value}) => {
    sent.push(`ssm:PutParameter ${Value}`)
    if (putFails) throw Object.assign(new Error('Parameter name is not valid'), {name: 'ValidationException', $metadata: {httpStatusCode: 400}})
    return {Version: 1}
  })
}

beforeEach(() => {
  for (const mock of Object.values(mocks)) mock.reset()
  sent = []
  isolateRunbookRuns()
})

const run = (config: string, ...params: string[]) => runCli(RunbookRun, ['publish', '--env', 'dev', '--config', config, '--yes', ...params.flatMap((param) => ['-p', param])])

describe('fintech runbook run with an empty parameter value', () => {
  it('refuses -p NAME= (exit 2) naming the parameter and the flag, before any AWS call', async () => {
    platform('db-2')
    const refused = await run(makeProject({'runbooks/publish.yaml': PUBLISH}), 'target=', 'apiKey=k')
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('--param target=: target may not be empty (the reader to promote)')
    expect(sent).toEqual([])
  })

  it('refuses an empty stack output for a parameter that does not allow empty, before any change', async () => {
    platform('')
    const refused = await run(makeProject({'runbooks/publish.yaml': PUBLISH}), 'apiKey=k')
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('stack output db.ReaderInstanceId is empty: target may not be empty (the reader to promote)')
    expect(sent).toEqual(['sts:GetCallerIdentity', 'cfn:DescribeStacks'])
  })

  it('takes an empty value where the parameter allows it', async () => {
    platform('db-2')
    const done = await run(makeProject({'runbooks/publish.yaml': PUBLISH}), 'note=', 'apiKey=k')
    expect(done.exitCode).toBe(0)
    expect(sent).toEqual(['sts:GetCallerIdentity', 'cfn:DescribeStacks', 'ssm:PutParameter db-2k'])
  })

  it('a resume refuses an empty secret given again with -p, before any AWS call', async () => {
    platform('db-2', true)
    const config = makeProject({'runbooks/publish.yaml': PUBLISH})
    const failed = await runCli(RunbookRun, ['publish', '--env', 'dev', '--config', config, '--yes', '-p', 'apiKey=k', '--json'])
    expect(failed.exitCode).toBe(1)
    sent = []
    const refused = await runCli(RunbookResume, [failed.json.run.id, '--config', config, '--yes', '-p', 'apiKey='])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('--param apiKey=: apiKey may not be empty (the API key)')
    expect(sent).toEqual([])
  })
})
