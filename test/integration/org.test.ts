/**
 * `fintech deploy --stage foundation --org` and `fintech status --org` against moto_server:
 * an organization with an OU Dev holding one account; the built CLI, as the management account
 * (moto's), rolls the repository's foundation baseline out through a service-managed StackSet,
 * and the test reads the StackSet and its instances back from the emulator.
 *
 * moto 5.2.1's StackSets are thin, so the rest is covered with mocks in
 * test/commands/deploy-org.test.ts: operations end at once (no per-account progress, no
 * Ctrl-C stop), ListStackSetOperationResults answers no result, CreateStackInstances ignores
 * OperationId and OperationPreferences, CallAs is ignored, DescribeStackSet leaves out
 * AutoDeployment and ListStackInstances leaves out OrganizationalUnitId. With those two missing
 * a second run against moto is not a no-op (it sees auto-deployment and the OU's instances as
 * missing), so idempotence is checked against the mocks only.
 */
import {CloudFormationClient, DescribeStackSetCommand, ListStackInstancesCommand, ListStackSetsCommand} from '@aws-sdk/client-cloudformation'
import {CreateAccountCommand, CreateOrganizationalUnitCommand, CreateOrganizationCommand, ListRootsCommand, MoveAccountCommand, OrganizationsClient} from '@aws-sdk/client-organizations'
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {ACCOUNT as MOTO_ACCOUNT, explain, readAudit, REGION, REPO_ROOT, useMoto} from './moto.js'

const context = useMoto()
const clients: {orgs?: OrganizationsClient; cfn?: CloudFormationClient} = {}
const settings = () => ({endpoint: context.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts: 2})
const orgs = () => (clients.orgs ??= new OrganizationsClient(settings()))
const cfn = () => (clients.cfn ??= new CloudFormationClient(settings()))
afterAll(() => {
  clients.orgs?.destroy()
  clients.cfn?.destroy()
})

const TAGS = (env: string, classification: string) => `{Environment: ${env}, CostCenter: CC-4100, Owner: platform-engineering, Service: fintech-platform, DataClassification: ${classification}}`
const BASELINE = readFileSync(join(REPO_ROOT, 'templates/foundation/baseline.yaml'), 'utf8')

let devOu: string
let devAccount: string

beforeEach(async () => {
  await orgs().send(new CreateOrganizationCommand({FeatureSet: 'ALL'}))
  const {Roots} = await orgs().send(new ListRootsCommand({}))
  const root = Roots![0]!.Id!
  devOu = (await orgs().send(new CreateOrganizationalUnitCommand({ParentId: root, Name: 'Dev'}))).OrganizationalUnit!.Id!
  devAccount = (await orgs().send(new CreateAccountCommand({AccountName: 'fintech-dev', Email: 'fintech-dev@example.com'}))).CreateAccountStatus!.AccountId!
  await orgs().send(new MoveAccountCommand({AccountId: devAccount, SourceParentId: root, DestinationParentId: devOu}))
})

/** The repository's baseline and dev parameter file, administered from moto's account. */
function writeProject(): string {
  mkdirSync(join(context.dir, 'templates/foundation'), {recursive: true})
  mkdirSync(join(context.dir, 'templates/params'), {recursive: true})
  copyFileSync(join(REPO_ROOT, 'templates/foundation/baseline.yaml'), join(context.dir, 'templates/foundation/baseline.yaml'))
  copyFileSync(join(REPO_ROOT, 'templates/params/dev.yaml'), join(context.dir, 'templates/params/dev.yaml'))
  const path = join(context.dir, 'fintech.config.yaml')
  writeFileSync(
    path,
    `project: fintech
polling: {initialMs: 10, maxMs: 50}
environments:
  management:
    account: "${MOTO_ACCOUNT}"
    region: ${REGION}
    protected: true
    tags: ${TAGS('management', 'confidential')}
  dev:
    account: "${devAccount}"
    region: eu-west-1
    parameterFile: templates/params/dev.yaml
    values: {alarmEmail: fintech-alarms-dev@example.com, alarmSms: ""}
    tags: ${TAGS('dev', 'internal')}
organization:
  stackSets:
    - name: fintech-baseline-dev
      stack: baseline
      env: dev
      organizationalUnits: [${devOu}]
      regions: [eu-west-1, us-east-1]
stages:
  - name: foundation
    stacks:
      - id: baseline
        template: templates/foundation/baseline.yaml
        envs: [dev]
        parameters:
          EnvironmentName: {env: name}
          AlarmEmail: {env: alarmEmail}
          AlarmSmsNumber: {env: alarmSms}
`,
  )
  return path
}

describe('fintech deploy --org against moto_server', {timeout: 90_000}, () => {
  it('plans without creating, then creates the service-managed StackSet with an instance per account and region of the OU; status --org lists them', async () => {
    const config = writeProject()

    const dryRun = await context.run(['deploy', '--stage', 'foundation', '--org', '--dry-run', '--config', config])
    expect(dryRun.exitCode, explain(dryRun)).toBe(0)
    expect(dryRun.stdout).toContain('StackSet fintech-baseline-dev (stage foundation, dev values, administered from management): not created yet')
    expect(dryRun.stdout).toContain(`create stack instances for ${devOu} in eu-west-1, us-east-1`)
    expect((await cfn().send(new ListStackSetsCommand({}))).Summaries ?? []).toEqual([])

    const run = await context.run(['deploy', '--stage', 'foundation', '--org', '--yes', '--config', config, '--json'])
    expect(run.exitCode, explain(run)).toBe(0)

    const {StackSet} = await cfn().send(new DescribeStackSetCommand({StackSetName: 'fintech-baseline-dev'}))
    expect(StackSet).toMatchObject({Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED', TemplateBody: BASELINE})
    expect(Object.fromEntries(StackSet!.Parameters!.map((parameter) => [parameter.ParameterKey, parameter.ParameterValue]))).toEqual({
      EnvironmentName: 'dev',
      AlarmEmail: 'fintech-alarms-dev@example.com',
      AlarmSmsNumber: '',
      MonthlyBudgetUsd: '500',
      TrailRetentionDays: '90',
    })
    expect(StackSet!.Tags).toContainEqual({Key: 'fintech:stage', Value: 'foundation'})
    const {Summaries} = await cfn().send(new ListStackInstancesCommand({StackSetName: 'fintech-baseline-dev'}))
    expect(Summaries!.map((instance) => [instance.Account, instance.Region]).sort()).toEqual([
      [devAccount, 'eu-west-1'],
      [devAccount, 'us-east-1'],
    ])
    expect(readAudit(context.auditLog).map((line) => [line.env, line.action, line.stack, line.result])).toEqual([
      ['management', 'CreateStackSet', 'fintech-baseline-dev', 'ok'],
      ['management', 'CreateStackInstances', 'fintech-baseline-dev', 'ok'],
    ])

    const status = await context.run(['status', '--org', '--config', config, '--json'])
    expect(status.exitCode, explain(status)).toBe(0)
    expect(status.json.stackSets[0].instances.map((instance: {account: string; region: string; status: string}) => [instance.account, instance.region, instance.status]).sort()).toEqual([
      [devAccount, 'eu-west-1', 'CURRENT'],
      [devAccount, 'us-east-1', 'CURRENT'],
    ])
  })
})
