import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {scheduledCommand} from '../../src/core/shutdown/schedule.js'
import {SCHEDULER_TEMPLATE, SCHEDULE_STACK_INPUTS, planScheduleStack} from '../../src/core/shutdown/schedule-stack.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {parseTemplate, type Template} from '../../src/core/template/parse.js'
import {builtinFindings} from '../../src/core/validate/builtin-rules.js'
import {loadResourceSpec} from '../../src/core/validate/resource-spec.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const templatePath = join(root, SCHEDULER_TEMPLATE)
const template = parseTemplate(readFileSync(templatePath, 'utf8'), SCHEDULER_TEMPLATE)
const loaded = loadConfig(join(root, 'fintech.config.yaml'))

type Statement = {Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>>}

const properties = (id: string) => template.resources[id]!.properties as Record<string, any>
const statements = (roleId: string): Statement[] => properties(roleId).Policies.flatMap((policy: any) => policy.PolicyDocument.Statement)
const actions = (statement: Statement) => [statement.Action].flat()

/** Actions that change nothing, or that AWS only grants on "*". */
const READ_ONLY = /^([a-z0-9-]+:(Describe|List|Get)[A-Za-z*]*|ecr:BatchCheckLayerAvailability|ecr:BatchGetImage)$/

describe('templates/shutdown/scheduler.yaml', () => {
  it('passes the project\'s own rules as dev and test deploy it (spec, security, conventions)', async () => {
    const [{securityRules}, spec] = await Promise.all([import('../../src/core/validate/security/index.js'), loadResourceSpec()])
    const environments = ['dev', 'test'].map((name) => {
      const {plan, job} = planScheduleStack(loaded, resolveEnv(loaded, name), {templatePath, version: '0.1.0'})
      const parameters = plan.parameterContext(() => undefined)
      const values = Object.fromEntries(
        Object.entries(job.config.parameters).flatMap(([key, value]) => (typeof value === 'string' ? [[key, value]] : 'env' in value ? [[key, parameters.envName]] : [])),
      )
      return {name, protected: false, parameters: {...values, 'AWS::AccountId': plan.env.account, 'AWS::Region': plan.env.region, 'AWS::Partition': 'aws'}}
    })
    const findings = [...builtinFindings(template, spec), ...securityRules.flatMap((rule) => rule.check({template, environments}))]
    expect(findings.map((finding) => `${finding.line} ${finding.ruleId} ${finding.message}`)).toEqual([])
  })

  it('declares every input the CLI wires, and each wired output exists in the template that makes it', () => {
    const templateOf = new Map(loaded.config.stages.flatMap((stage) => stage.stacks.map((stack) => [stack.id, stack.template])))
    for (const [parameter, output] of Object.entries(SCHEDULE_STACK_INPUTS)) {
      expect(template.parameters[parameter], parameter).toBeDefined()
      const [stackId, key] = output.split('.') as [string, string]
      const source: Template = parseTemplate(readFileSync(join(root, templateOf.get(stackId)!), 'utf8'), templateOf.get(stackId)!)
      expect(source.outputs, output).toContain(key)
    }
  })

  it('runs exactly the CLI command a crontab would, for stop and start', () => {
    for (const [id, action] of [['StopSchedule', 'stop'], ['StartSchedule', 'start']] as const) {
      const input = properties(id).Target.Input['Fn::Sub'] as string
      expect(JSON.parse(input.replaceAll('${EnvironmentName}', 'dev'))).toEqual({containerOverrides: [{name: 'fintech', command: scheduledCommand(action, 'dev')}]})
    }
    expect(properties('TaskDefinition').ContainerDefinitions[0].Name).toBe('fintech')
  })

  it('schedules in the configured zone, to the minute, into private subnets without a public IP', () => {
    for (const id of ['StopSchedule', 'StartSchedule']) {
      const schedule = properties(id)
      expect(schedule.ScheduleExpressionTimezone).toEqual({Ref: 'ScheduleTimezone'})
      expect(schedule.FlexibleTimeWindow).toEqual({Mode: 'OFF'})
      expect(schedule.Target.EcsParameters).toMatchObject({
        LaunchType: 'FARGATE',
        TaskDefinitionArn: {Ref: 'TaskDefinition'},
        NetworkConfiguration: {AwsvpcConfiguration: {Subnets: {Ref: 'SubnetIds'}, SecurityGroups: [{Ref: 'TaskSecurityGroup'}], AssignPublicIp: 'DISABLED'}},
      })
    }
    expect(template.document.Resources).toMatchObject({StartSchedule: {Condition: 'HasStart'}})
    expect(properties('TaskSecurityGroup').SecurityGroupIngress).toBeUndefined()
    expect(properties('TaskSecurityGroup').SecurityGroupEgress).toEqual([
      {Description: 'HTTPS to AWS APIs (endpoints and NAT)', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0'},
    ])
  })

  it('gives the task role nothing on "*" that changes anything, except the one API without resource scoping', () => {
    const onEverything = statements('TaskRole').filter((statement) => statement.Resource === '*' && !statement.Condition)
    const changing = onEverything.flatMap(actions).filter((action) => !READ_ONLY.test(action))
    expect(changing).toEqual(['application-autoscaling:RegisterScalableTarget'])
  })

  it('limits every change to resources tagged with the env, or to the env\'s own cluster, bucket prefix and key', () => {
    const bySid = new Map(statements('TaskRole').map((statement) => [statement.Sid, statement]))
    const tagged = {StringEquals: {'aws:ResourceTag/Environment': {Ref: 'EnvironmentName'}}}
    expect(bySid.get('StopStartEnvInstances')!.Condition).toEqual(tagged)
    expect(bySid.get('ResizeEnvAutoScalingGroups')!.Condition).toEqual(tagged)
    expect(bySid.get('StopStartEnvDatabases')!.Condition).toEqual(tagged)
    expect(bySid.get('RunRedisProbeOnEnvInstances')!.Condition).toEqual({StringEquals: {'ssm:resourceTag/Environment': {Ref: 'EnvironmentName'}}})
    // Run Command: the probe document of this stack only, never AWS-RunShellScript.
    expect(bySid.get('RunRedisProbeDocument')!.Resource).toEqual({'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${RedisProbeDocument}'})
    expect(JSON.stringify(statements('TaskRole'))).not.toContain('AWS-RunShellScript')
    expect(bySid.get('ScaleEnvServices')!.Resource).toEqual({'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${ClusterName}/*'})
    expect(bySid.get('ShutdownState')!.Resource).toEqual({'Fn::Sub': 'arn:${AWS::Partition}:s3:::${StateBucketName}/fintech/shutdown/${EnvironmentName}/*'})
    expect(bySid.get('StartEncryptedVolumes')).toMatchObject({Action: 'kms:CreateGrant', Resource: {Ref: 'DataKeyArn'}})
    expect(bySid.get('ShutdownStateKey')!.Condition!.StringEquals).toEqual({'kms:ViaService': {'Fn::Sub': 's3.${AWS::Region}.amazonaws.com'}})
  })

  it('lets the scheduler run this task definition in this cluster and pass these two roles, nothing more', () => {
    expect(properties('SchedulerRole').AssumeRolePolicyDocument.Statement).toEqual([
      {Effect: 'Allow', Principal: {Service: 'scheduler.amazonaws.com'}, Action: 'sts:AssumeRole', Condition: {StringEquals: {'aws:SourceAccount': {Ref: 'AWS::AccountId'}}}},
    ])
    expect(statements('SchedulerRole').map((statement) => [statement.Sid, actions(statement), statement.Resource])).toEqual([
      ['RunShutdownTask', ['ecs:RunTask'], {'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/fintech-${EnvironmentName}-shutdown:*'}],
      ['TagShutdownTask', ['ecs:TagResource'], {'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${ClusterName}/*'}],
      ['PassTaskRoles', ['iam:PassRole'], [{'Fn::GetAtt': ['TaskExecutionRole', 'Arn']}, {'Fn::GetAtt': ['TaskRole', 'Arn']}]],
    ])
    expect(properties('TaskDefinition').Family).toEqual({'Fn::Sub': 'fintech-${EnvironmentName}-shutdown'})
  })

  it('stays outside the config\'s stages: deployed only by fintech shutdown schedule', () => {
    expect(loaded.config.stages.flatMap((stage) => stage.stacks.map((stack) => stack.template))).not.toContain(SCHEDULER_TEMPLATE)
  })
})
