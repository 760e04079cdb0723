/**
 * `fintech status` reading the security services of moto_server's account. moto 5.2.1 has
 * DescribeHub, EnableSecurityHub, BatchImportFindings and GetFindings, and GuardDuty's
 * CreateDetector, ListDetectors and GetDetector; its GetFindings ignores Filters (it returns
 * every finding), so only findings the real filters would match are imported here, and the
 * filters themselves are checked with aws-sdk-client-mock in test/commands/status-security.test.ts.
 * It has no Config control results, so AWS Config stays unknown.
 */
import {CreateDetectorCommand, GuardDutyClient} from '@aws-sdk/client-guardduty'
import {BatchImportFindingsCommand, EnableSecurityHubCommand, SecurityHubClient, type AwsSecurityFinding} from '@aws-sdk/client-securityhub'
import {describe, expect, it} from 'vitest'
import {ACCOUNT, FIXTURE_CONFIG, REGION, explain, useMoto} from './moto.js'

const ctx = useMoto()

function clients() {
  const settings = {endpoint: ctx.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts: 2}
  return {securityHub: new SecurityHubClient(settings), guardDuty: new GuardDutyClient(settings)}
}

function finding(id: string, label: 'CRITICAL' | 'HIGH'): AwsSecurityFinding {
  const now = new Date().toISOString()
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
    GeneratorId: 'fintech-it',
    AwsAccountId: ACCOUNT,
    Types: ['Software and Configuration Checks'],
    CreatedAt: now,
    UpdatedAt: now,
    Severity: {Label: label},
    Title: id,
    Description: id,
    Resources: [{Type: 'AwsAccount', Id: `AWS::::Account:${ACCOUNT}`}],
    RecordState: 'ACTIVE',
    Workflow: {Status: 'NEW'},
  }
}

describe('status security against moto', {timeout: 60_000}, () => {
  it('shows GuardDuty and Security Hub on, and counts the critical and high findings', async () => {
    const {securityHub, guardDuty} = clients()
    await securityHub.send(new EnableSecurityHubCommand({EnableDefaultStandards: false}))
    const imported = await securityHub.send(
      new BatchImportFindingsCommand({Findings: [finding('root-mfa', 'CRITICAL'), finding('open-port', 'HIGH'), finding('public-snapshot', 'CRITICAL')]}),
    )
    expect(imported.FailedCount).toBe(0)
    const {DetectorId} = await guardDuty.send(new CreateDetectorCommand({Enable: true}))

    const run = await ctx.run(['status', '--env', 'dev', '--config', FIXTURE_CONFIG, '--json'])

    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.envs[0].security).toEqual({
      guardDuty: {state: 'on', detail: `detector ${DetectorId}`},
      securityHub: {state: 'on'},
      config: {state: 'unknown', detail: 'Security Hub has no result of control Config.1 yet'},
      findings: {critical: 2, high: 1},
    })
    expect(run.audit).toEqual([])
  })
})
