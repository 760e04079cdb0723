import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import ShutdownSchedule from '../../src/commands/shutdown/schedule.js'
import {cfn, event, notFound, resetAws, stack, stackId, sts, tagList} from '../helpers/aws-mocks.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'
import {probeDocumentScript} from '../../src/core/shutdown/redis-probe.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CONFIG_TEXT = readFileSync(join(root, 'fintech.config.yaml'), 'utf8')
const TEMPLATE = readFileSync(join(root, 'templates/shutdown/scheduler.yaml'), 'utf8')
const VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string
const SCHEDULE_STACK = 'fintech-dev-shutdown-schedule'

/**
 * The repository's own config and templates in a throw-away folder, polling in milliseconds,
 * with `edit` applied to the config text (a broken timezone, a stop-only schedule…).
 */
function platformProject(edit: (text: string) => string = (text) => text): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-schedule-'))
  // Copied, not symlinked: templates are read only from inside the project.
  cpSync(join(root, 'templates'), join(dir, 'templates'), {recursive: true})
  writeFileSync(join(dir, 'fintech.config.yaml'), `${edit(CONFIG_TEXT)}\npolling: {initialMs: 1, maxMs: 2}\n`)
  return join(dir, 'fintech.config.yaml')
}

const lineOf = (file: string, text: string) => readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1

const OUTPUTS = {
  'fintech-dev-foundation': {
    LogsKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1111aaaa-0000-0000-0000-000000000001',
    DataKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1111aaaa-0000-0000-0000-000000000002',
    AlarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:fintech-dev-alarms',
  },
  'fintech-dev-networking': {VpcId: 'vpc-0abc', AppSubnetIds: 'subnet-a,subnet-b,subnet-c'},
  'fintech-dev-compute': {ClusterName: 'fintech-dev'},
}

/** The platform's stages deployed in dev, their outputs feeding the schedule stack. */
function platformDeployed() {
  for (const [name, outputs] of Object.entries(OUTPUTS)) {
    cfn.on(DescribeStacksCommand, {StackName: name}).resolves(stack(name, 'UPDATE_COMPLETE', {Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue}))}))
  }
}

/** No schedule stack yet; its change set settles at once and the create completes. */
function scheduleStackCreatable() {
  cfn.on(DescribeStacksCommand, {StackName: SCHEDULE_STACK}).rejectsOnce(notFound(SCHEDULE_STACK)).resolves(stack(SCHEDULE_STACK, 'CREATE_COMPLETE'))
  cfn.on(CreateChangeSetCommand).callsFake((input) => Promise.resolve({Id: `arn:changeset/${input.StackName}`, StackId: stackId(input.StackName)}))
  cfn.on(DescribeChangeSetCommand).resolves({
    Status: 'CREATE_COMPLETE',
    ExecutionStatus: 'AVAILABLE',
    CreationTime: new Date(),
    Changes: ['TaskRole', 'SchedulerRole', 'TaskExecutionRole'].map((id) => ({
      Type: 'Resource',
      ResourceChange: {Action: 'Add', LogicalResourceId: id, ResourceType: 'AWS::IAM::Role', Scope: [], Details: []},
    })) as never,
  })
  cfn.on(DescribeStackEventsCommand).resolves({StackEvents: [event(SCHEDULE_STACK, SCHEDULE_STACK, 'CREATE_COMPLETE')]})
}

const sentParameters = (): Record<string, string> =>
  Object.fromEntries((cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue!]))

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws()
})

describe('fintech shutdown schedule --print-cron', () => {
  it('prints the crontab lines of the env\'s schedule, exactly, without any AWS call', async () => {
    const config = platformProject()
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--print-cron', '--config', config])

    expect(run.exitCode).toBe(0)
    expect(run.stdout).toBe(
      [
        '# fintech shutdown schedule of dev (Europe/London): stop every day at 20:00, start mon-fri at 07:00 except on 4 holidays (the CLI skips them)',
        'CRON_TZ=Europe/London',
        `0 20 * * * fintech shutdown stop --env dev --scheduled --json --config ${config}`,
        `0 7 * * 1-5 fintech shutdown start --env dev --scheduled --json --config ${config}`,
        '',
      ].join('\n'),
    )
    expect(sts.calls()).toHaveLength(0)
    expect(cfn.calls()).toHaveLength(0)
  })

  it('gives the lines as JSON with --json', async () => {
    const config = platformProject()
    const run = await runCli(ShutdownSchedule, ['--env', 'test', '--print-cron', '--json', '--config', config])

    expect(run.exitCode).toBe(0)
    expect(run.json).toEqual({
      mode: 'cron',
      env: 'test',
      timezone: 'Europe/London',
      lines: [
        '# fintech shutdown schedule of test (Europe/London): stop every day at 21:00, start mon-fri at 06:30 except on 3 holidays (the CLI skips them)',
        'CRON_TZ=Europe/London',
        `0 21 * * * fintech shutdown stop --env test --scheduled --json --config ${config}`,
        `30 6 * * 1-5 fintech shutdown start --env test --scheduled --json --config ${config}`,
      ],
    })
  })

  it('refuses --print-cron together with flags that only a deploy reads', async () => {
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--print-cron', '--dry-run', '--config', platformProject()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/--dry-run.*cannot also be provided when using --print-cron|--print-cron.*cannot also be provided when using --dry-run/)
  })
})

describe('fintech shutdown schedule refuses, changing nothing', () => {
  it('a protected env, naming the config line that protects it', async () => {
    const config = platformProject()
    const run = await runCli(ShutdownSchedule, ['--env', 'prod', '--yes', '--config', config])

    expect(run.exitCode).toBe(2)
    const lines = readFileSync(config, 'utf8').split('\n')
    const protectedLine = lines.findIndex((line, index) => line === '    protected: true' && index > lines.indexOf('  prod:')) + 1
    expect(run.stderr).toContain(`${config}:${protectedLine}: environments.prod.protected: prod is protected: a protected environment is never shut down, so it gets no schedule`)
    expect(sts.calls()).toHaveLength(0)
    expect(cfn.calls()).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])

    const printed = await runCli(ShutdownSchedule, ['--env', 'prod', '--print-cron', '--config', config])
    expect(printed.exitCode).toBe(2)
    expect(printed.stdout).toBe('')
  })

  it('a schedule on a protected env, at the schedule\'s line', async () => {
    const config = platformProject((text) => text.replace('  prod:\n', '  prod:\n    schedule: {timezone: Europe/London, stop: "20:00"}\n'))
    const run = await runCli(ShutdownSchedule, ['--env', 'prod', '--print-cron', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`${config}:${lineOf(config, 'schedule: {timezone: Europe/London, stop: "20:00"}')}: environments.prod.schedule: a protected environment is never shut down; remove its schedule`)
  })

  it('an env without a schedule', async () => {
    const config = makeProject()
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`${config}:${lineOf(config, '  dev:')}: environments.dev: dev has no schedule: add schedule (timezone, stop, start, days, holidays) to it first`)
    expect(sts.calls()).toHaveLength(0)
  })

  it('an unknown time zone, at its line', async () => {
    const config = platformProject((text) => text.replace('timezone: Europe/London\n      stop: "20:00"', 'timezone: Europe/Londn\n      stop: "20:00"'))
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`${config}:${lineOf(config, 'timezone: Europe/Londn')}: environments.dev.schedule.timezone: an IANA time zone such as "Europe/London"`)
    expect(sts.calls()).toHaveLength(0)
  })

  it('a time that is not a 24-hour clock time, at its line', async () => {
    const config = platformProject((text) => text.replace('start: "06:30"', 'start: "6:30pm"'))
    const run = await runCli(ShutdownSchedule, ['--env', 'test', '--print-cron', '--config', config])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(`${config}:${lineOf(config, 'start: "6:30pm"')}: environments.test.schedule.start: a 24-hour local time such as "19:00"`)
  })

  it('an --image without a tag or digest, before any AWS call', async () => {
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--image', 'fintech', '--config', platformProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--image: "fintech" does not match the AllowedPattern of ImageUri')
    expect(sts.calls()).toHaveLength(0)
    expect(cfn.calls()).toHaveLength(0)
  })

  it('credentials of another account', async () => {
    sts.on(GetCallerIdentityCommand).resolves({Account: '222222222222', Arn: 'arn:aws:iam::222222222222:user/bob'})
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', platformProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('refusing to act on dev: the credentials are for account 222222222222')
    expect(cfn.calls()).toHaveLength(0)
  })

  it('a platform that is not deployed yet', async () => {
    platformDeployed()
    cfn.on(DescribeStacksCommand, {StackName: 'fintech-dev-compute'}).rejects(notFound('fintech-dev-compute'))
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', platformProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('fintech-dev-compute (stage compute): not deployed')
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0)
  })
})

describe('fintech shutdown schedule --env dev', () => {
  it('creates the schedule stack through a change set: expressions, time zone, image and the platform\'s outputs', async () => {
    platformDeployed()
    scheduleStackCreatable()
    const image = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/fintech@sha256:' + 'a'.repeat(64)
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--image', image, '--yes', '--json', '--config', platformProject()])

    expect(run.exitCode).toBe(0)
    const created = cfn.commandCalls(CreateChangeSetCommand)
    expect(created).toHaveLength(1)
    expect(created[0]!.args[0].input).toMatchObject({
      StackName: SCHEDULE_STACK,
      ChangeSetType: 'CREATE',
      TemplateBody: TEMPLATE,
      Tags: tagList({Environment: 'dev', CostCenter: 'CC-4100', Owner: 'platform-engineering', Service: 'fintech-platform', DataClassification: 'internal', 'fintech:stage': 'shutdown-schedule'}),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    })
    expect(sentParameters()).toEqual({
      EnvironmentName: 'dev',
      ImageUri: image,
      ScheduleTimezone: 'Europe/London',
      StopExpression: 'cron(0 20 * * ? *)',
      StartExpression: 'cron(0 7 ? * MON-FRI *)',
      StateBucketName: 'fintech-artifacts-111111111111-eu-west-1',
      RedisProbeScript: probeDocumentScript(),
      ClusterName: 'fintech-dev',
      VpcId: 'vpc-0abc',
      SubnetIds: 'subnet-a,subnet-b,subnet-c',
      ...OUTPUTS['fintech-dev-foundation'],
      LogRetentionDays: '14',
    })
    expect(cfn.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: `arn:changeset/${SCHEDULE_STACK}`, ClientRequestToken: expect.stringMatching(/^fintech-/)})
    expect(run.json).toMatchObject({
      mode: 'aws',
      env: 'dev',
      dryRun: false,
      stack: {stackName: SCHEDULE_STACK, outcome: 'created', status: 'CREATE_COMPLETE'},
      schedule: {
        timezone: 'Europe/London',
        expressions: {stop: 'cron(0 20 * * ? *)', start: 'cron(0 7 ? * MON-FRI *)', timezone: 'Europe/London'},
        image,
        stateBucket: 'fintech-artifacts-111111111111-eu-west-1',
        clockChanges: [],
      },
    })
    expect(run.json.schedule.next).toHaveLength(6)
    expect(audit.auditLines().map((line) => [line.action, line.result, line.stack])).toEqual([
      ['create-change-set', 'ok', SCHEDULE_STACK],
      ['execute-change-set', 'ok', SCHEDULE_STACK],
      ['shutdown-schedule', 'ok', SCHEDULE_STACK],
    ])
    expect(audit.auditLines().at(-1).detail).toBe(`stop cron(0 20 * * ? *), start cron(0 7 ? * MON-FRI *) in Europe/London; image ${image}; created`)
  })

  it('runs the CLI\'s own release from the env\'s ECR when no image is named, and shows the schedule', async () => {
    platformDeployed()
    scheduleStackCreatable()
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', platformProject()])

    expect(run.exitCode).toBe(0)
    expect(sentParameters().ImageUri).toBe(`111111111111.dkr.ecr.eu-west-1.amazonaws.com/fintech:${VERSION}`)
    expect(run.stdout).toContain(`Shutdown schedule of dev (Europe/London), image 111111111111.dkr.ecr.eu-west-1.amazonaws.com/fintech:${VERSION}:`)
    expect(run.stdout).toContain('  stop   every day at 20:00  cron(0 20 * * ? *)')
    expect(run.stdout).toContain('  start  mon, tue, wed, thu, fri at 07:00, not on 2026-12-24, 2026-12-25, 2026-12-28, 2027-01-01  cron(0 7 ? * MON-FRI *)')
    expect(run.stdout).toMatch(/fintech-dev-shutdown-schedule\s*│\s*created/)
  })

  it('takes the image from shutdown.image in the config, with its placeholders filled', async () => {
    platformDeployed()
    scheduleStackCreatable()
    const config = platformProject((text) => text.replace('project: fintech\n', 'project: fintech\nshutdown:\n  image: "{account}.dkr.ecr.{region}.amazonaws.com/tools/fintech:{version}-slim"\n'))
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', config])

    expect(run.exitCode).toBe(0)
    expect(sentParameters().ImageUri).toBe(`111111111111.dkr.ecr.eu-west-1.amazonaws.com/tools/fintech:${VERSION}-slim`)
  })

  it('deploys a stop-only schedule with an empty start expression (no start schedule)', async () => {
    platformDeployed()
    scheduleStackCreatable()
    const config = platformProject((text) => text.replace('      start: "07:00"\n', ''))
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', config])

    expect(run.exitCode).toBe(0)
    expect(sentParameters()).toMatchObject({StopExpression: 'cron(0 20 * * ? *)', StartExpression: ''})
    expect(run.stdout).toContain('  start  none: a stop-only schedule, start the env by hand')
  })

  it('--dry-run creates the change set, shows it and deletes it with its empty stack: nothing is created', async () => {
    platformDeployed()
    scheduleStackCreatable()
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--dry-run', '--json', '--config', platformProject()])

    expect(run.exitCode).toBe(0)
    expect(run.json).toMatchObject({mode: 'aws', dryRun: true, stack: {stackName: SCHEDULE_STACK, outcome: 'planned'}})
    expect(cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.Description).toBe('fintech deploy dev (dry run)')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteChangeSetCommand)[0]!.args[0].input).toEqual({ChangeSetName: `arn:changeset/${SCHEDULE_STACK}`})
    expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input).toEqual({StackName: SCHEDULE_STACK, ClientRequestToken: expect.stringMatching(/^fintech-/)})
    expect(audit.auditLines().map((line) => line.action)).toEqual(['create-change-set', 'delete-change-set', 'delete-stack'])
  })

  it('asks for approval of the new IAM grants and, with no terminal and no --yes, deploys nothing (exit 2)', async () => {
    platformDeployed()
    scheduleStackCreatable()
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--config', platformProject()])

    expect(run.exitCode).toBe(2)
    expect(run.stdout).toContain('there is no terminal to ask')
    expect(cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0)
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1)
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'shutdown-schedule', result: 'failed'})
  })

  it('--dry-run without credentials shows the offline plan of the stack; a deploy without them fails and changes nothing', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}))
    const config = platformProject()
    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--dry-run', '--json', '--config', config])

    expect(run.exitCode).toBe(0)
    expect(run.json).toMatchObject({mode: 'offline', env: 'dev', plan: {env: 'dev', account: '111111111111', stages: [{name: 'shutdown-schedule', stacks: [{stackName: SCHEDULE_STACK}]}]}})
    const parameters = run.json.plan.stages[0].stacks[0].parameters
    expect(parameters.StopExpression).toEqual({value: 'cron(0 20 * * ? *)', source: 'config'})
    expect(parameters.ClusterName).toEqual({value: '<compute.ClusterName>', source: 'stack-output', placeholder: true})
    expect(parameters.LogRetentionDays).toEqual({value: '14', source: 'parameter-file'})
    expect(run.json.plan.stages[0].stacks[0].resources.map((resource: {type: string}) => resource.type)).toEqual(
      expect.arrayContaining(['AWS::Scheduler::Schedule', 'AWS::Scheduler::ScheduleGroup', 'AWS::ECS::TaskDefinition', 'AWS::IAM::Role']),
    )

    const deploy = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', config])
    expect(deploy.exitCode).toBe(1)
    expect(deploy.stderr).toContain('no AWS credentials found for dev (account 111111111111)')
    expect(cfn.calls()).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])
  })

  it('skips an unchanged schedule stack without a change set', async () => {
    platformDeployed()
    scheduleStackCreatable()
    await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--config', platformProject()])
    const parameters = sentParameters()
    const tags = cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.Tags
    cfn.reset()
    platformDeployed()
    cfn.on(DescribeStacksCommand, {StackName: SCHEDULE_STACK}).resolves(
      stack(SCHEDULE_STACK, 'CREATE_COMPLETE', {Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ParameterKey, ParameterValue})), Tags: tags}),
    )
    cfn.on(GetTemplateCommand, {StackName: SCHEDULE_STACK}).resolves({TemplateBody: TEMPLATE})

    const run = await runCli(ShutdownSchedule, ['--env', 'dev', '--yes', '--json', '--config', platformProject()])

    expect(run.exitCode).toBe(0)
    expect(run.json.stack.outcome).toBe('unchanged')
    expect(cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0)
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'shutdown-schedule', result: 'no-changes'})
  })
})
