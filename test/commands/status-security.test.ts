/**
 * `fintech status` reports each env's security services and its active critical and high
 * Security Hub findings. aws-sdk-client-mock here; test/integration/status-security.test.ts
 * runs the same reads against moto, which lacks GetFindings filters (it returns every finding).
 */
import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {GetDetectorCommand, ListDetectorsCommand} from '@aws-sdk/client-guardduty'
import {DescribeHubCommand, GetFindingsCommand, type AwsSecurityFinding, type GetFindingsCommandInput} from '@aws-sdk/client-securityhub'
import {beforeEach, describe, expect, it} from 'vitest'
import Status from '../../src/commands/status.js'
import {cfn, guardDuty, notFound, resetAws, securityHub} from '../helpers/aws-mocks.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const finding = (label: string, id: string): AwsSecurityFinding => ({Id: id, Severity: {Label: label}} as AwsSecurityFinding)

const OPEN_SEVERE = {
  RecordState: [{Value: 'ACTIVE', Comparison: 'EQUALS'}],
  WorkflowStatus: [{Value: 'NEW', Comparison: 'EQUALS'}, {Value: 'NOTIFIED', Comparison: 'EQUALS'}],
  SeverityLabel: [{Value: 'CRITICAL', Comparison: 'EQUALS'}, {Value: 'HIGH', Comparison: 'EQUALS'}],
}
const CONFIG_CONTROL = {RecordState: [{Value: 'ACTIVE', Comparison: 'EQUALS'}], ComplianceSecurityControlId: [{Value: 'Config.1', Comparison: 'EQUALS'}]}

const isConfigQuery = (input: GetFindingsCommandInput) => input.Filters?.ComplianceSecurityControlId !== undefined

/** Security Hub on, with two pages of severe findings, and Config.1 at `configStatus`. */
function hubWithFindings(configStatus = 'PASSED') {
  securityHub.on(DescribeHubCommand).resolves({HubArn: 'arn:aws:securityhub:eu-west-1:111111111111:hub/default'})
  securityHub.on(GetFindingsCommand).callsFake((input: GetFindingsCommandInput) => {
    if (isConfigQuery(input)) return {Findings: [{Id: 'config-1', Compliance: {Status: configStatus}, UpdatedAt: '2026-12-04T06:00:00.000Z'}]}
    if (input.NextToken === undefined) return {Findings: [finding('CRITICAL', 'a'), finding('HIGH', 'b'), finding('CRITICAL', 'c')], NextToken: 'page-2'}
    return {Findings: [finding('HIGH', 'd')]}
  })
}

function guardDutyOn(status = 'ENABLED') {
  guardDuty.on(ListDetectorsCommand).resolves({DetectorIds: ['d-1']})
  guardDuty.on(GetDetectorCommand, {DetectorId: 'd-1'}).resolves({Status: status as 'ENABLED', ServiceRole: 'r', CreatedAt: '', UpdatedAt: ''} as never)
}

const status = (...extra: string[]) => runCli(Status, ['--env', 'dev', '--config', makeProject(), ...extra])

beforeEach(() => {
  resetAws()
  cfn.on(DescribeStacksCommand).rejects(notFound('fintech-dev-network'))
})

describe('fintech status: security services', () => {
  it('counts active new or notified critical and high findings over every page, and says each service is on', async () => {
    hubWithFindings()
    guardDutyOn()

    const run = await status('--json')

    expect(run.exitCode).toBe(0)
    expect(run.json.envs[0].security).toEqual({
      guardDuty: {state: 'on', detail: 'detector d-1'},
      securityHub: {state: 'on'},
      config: {state: 'on', detail: 'Security Hub control Config.1 passed, checked 2026-12-04T06:00:00.000Z'},
      findings: {critical: 2, high: 2},
    })
    const counting = securityHub.commandCalls(GetFindingsCommand).map((call) => call.args[0].input).filter((input) => !isConfigQuery(input))
    expect(counting).toEqual([
      {Filters: OPEN_SEVERE, MaxResults: 100, NextToken: undefined},
      {Filters: OPEN_SEVERE, MaxResults: 100, NextToken: 'page-2'},
    ])
    const config = securityHub.commandCalls(GetFindingsCommand).map((call) => call.args[0].input).filter(isConfigQuery)
    expect(config).toEqual([{Filters: CONFIG_CONTROL, MaxResults: 1}])
    expect(guardDuty.commandCalls(GetDetectorCommand).map((call) => call.args[0].input)).toEqual([{DetectorId: 'd-1'}])
  })

  it('prints the services and the counts under the stack table', async () => {
    hubWithFindings()
    guardDutyOn()

    const run = await status()

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain(
      [
        'Security:',
        '  GuardDuty on (detector d-1)',
        '  Security Hub on',
        '  AWS Config on (Security Hub control Config.1 passed, checked 2026-12-04T06:00:00.000Z)',
        '  Active findings (Security Hub, new or notified): 2 critical, 2 high',
      ].join('\n'),
    )
  })

  it('reports services that are off without failing, and asks Security Hub for no findings when it is off', async () => {
    const run = await status('--json')

    expect(run.exitCode).toBe(0)
    expect(run.json.envs[0].security).toEqual({
      guardDuty: {state: 'off', detail: 'no detector in eu-west-1'},
      securityHub: {state: 'off', detail: 'not enabled in eu-west-1'},
      config: {state: 'unknown', detail: 'read through Security Hub control Config.1, and Security Hub is off'},
    })
    expect(securityHub.commandCalls(GetFindingsCommand)).toHaveLength(0)

    const text = await status()
    expect(text.stdout).toContain('  GuardDuty off (no detector in eu-west-1)\n  Security Hub off (not enabled in eu-west-1)')
    expect(text.stdout).toContain('  Active findings: not read (Security Hub is not on or could not be read)')
  })

  it('says a suspended detector and a failed Config.1 are off', async () => {
    hubWithFindings('FAILED')
    guardDutyOn('DISABLED')

    const run = await status('--json')

    expect(run.exitCode).toBe(0)
    expect(run.json.envs[0].security.guardDuty).toEqual({state: 'off', detail: 'detector d-1 is suspended'})
    expect(run.json.envs[0].security.config).toEqual({state: 'off', detail: 'Security Hub control Config.1 failed, checked 2026-12-04T06:00:00.000Z'})
  })

  it('reports a service it may not read as unknown, with AWS\'s reason, and still shows the rest', async () => {
    hubWithFindings()
    guardDuty.on(ListDetectorsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: guardduty:ListDetectors'), {name: 'AccessDeniedException', $metadata: {httpStatusCode: 403, attempts: 1}}),
    )

    const run = await status('--json')

    expect(run.exitCode).toBe(0)
    expect(run.json.envs[0].security.guardDuty).toEqual({
      state: 'unknown',
      detail: 'cannot read: User is not authorized to perform: guardduty:ListDetectors',
    })
    expect(run.json.envs[0].security.findings).toEqual({critical: 2, high: 2})
  })

  it('keeps Security Hub on but leaves the counts out when reading findings fails', async () => {
    securityHub.on(DescribeHubCommand).resolves({HubArn: 'arn:aws:securityhub:eu-west-1:111111111111:hub/default'})
    securityHub.on(GetFindingsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {name: 'TooManyRequestsException', $metadata: {httpStatusCode: 429, attempts: 8}}),
    )

    const run = await status('--json')

    expect(run.exitCode).toBe(0)
    // aws-sdk-client-mock replaces send(), so AWS's message arrives without the client's "<Service> <Operation> failed" prefix.
    expect(run.json.envs[0].security.securityHub).toEqual({state: 'on', detail: 'could not count findings: Rate exceeded'})
    expect(run.json.envs[0].security.findings).toBeUndefined()
  })
})
