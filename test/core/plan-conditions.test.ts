import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {evaluateJob} from '../../src/core/cost/estimate.js'
import {offlinePlan, type OfflinePlan, type OfflineStackPlan} from '../../src/core/deploy/offline-plan.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {renderOfflinePlan} from '../../src/ui/summary.js'
import {makeProject} from '../helpers/project.js'

const TEMPLATE = `Parameters:
  Size: {Type: String, Default: small}
  Peer: {Type: String, Default: ""}
Conditions:
  IsLarge: !Equals [!Ref Size, large]
  HasPeer: !Not [!Equals [!Ref Peer, ""]]
  InIreland: !Equals [!Ref AWS::Region, eu-west-1]
Resources:
  Topic: {Type: AWS::SNS::Topic}
  LargeQueue: {Type: AWS::SQS::Queue, Condition: IsLarge, DeletionPolicy: Retain}
  PeerTopic: {Type: AWS::SNS::Topic, Condition: HasPeer}
  IrishTopic: {Type: AWS::SNS::Topic, Condition: InIreland}
Outputs:
  TopicArn: {Value: !Ref Topic}
  LargeQueueUrl: {Condition: IsLarge, Value: !Ref LargeQueue}
  PeerTopicArn: {Condition: HasPeer, Value: !Ref PeerTopic}
`
const tags = (env: string) => `{Environment: ${env}, CostCenter: c, Owner: o, Service: s, DataClassification: d}`
const CONFIG = `environments:
  dev: {account: "111111111111", region: eu-west-1, tags: ${tags('dev')}}
  prod: {account: "333333333333", region: eu-west-1, parameterFile: prod.yaml, tags: ${tags('prod')}}
stages:
  - name: messaging
    stacks:
      - {id: first, template: t.yaml}
      - {id: second, template: t.yaml, parameters: {Peer: {stackOutput: first.TopicArn}}}
`
const project = () => makeProject({'fintech.config.yaml': CONFIG, 't.yaml': TEMPLATE, 'prod.yaml': 'Size: large\n'})

const planOf = (config: string, env: string): OfflinePlan => {
  const loaded = loadConfig(config)
  return offlinePlan(planEnvironment(loaded, resolveEnv(loaded, env), loaded.config.stages))
}
const stackOf = (plan: OfflinePlan, id: string): OfflineStackPlan => plan.stages.flatMap((stage) => stage.stacks).find((stack) => stack.id === id)!

describe('the offline plan decides each resource\'s and output\'s condition for the env', () => {
  it('leaves out what a false condition does not create, listing it apart; a true condition is named on its resource', () => {
    const first = stackOf(planOf(project(), 'dev'), 'first')
    expect(first.resources).toEqual([
      {logicalId: 'Topic', type: 'AWS::SNS::Topic', stateful: false},
      {logicalId: 'IrishTopic', type: 'AWS::SNS::Topic', stateful: false, condition: {name: 'InIreland', value: 'true'}},
    ])
    expect(first.outputs).toEqual([{name: 'TopicArn'}])
    expect(first.notCreated).toEqual({
      resources: [
        {logicalId: 'LargeQueue', type: 'AWS::SQS::Queue', condition: 'IsLarge'},
        {logicalId: 'PeerTopic', type: 'AWS::SNS::Topic', condition: 'HasPeer'},
      ],
      outputs: [
        {name: 'LargeQueueUrl', condition: 'IsLarge'},
        {name: 'PeerTopicArn', condition: 'HasPeer'},
      ],
    })
  })

  it('decides the same template differently in another env, from its parameter file', () => {
    const first = stackOf(planOf(project(), 'prod'), 'first')
    expect(first.resources.map((resource) => resource.logicalId)).toEqual(['Topic', 'LargeQueue', 'IrishTopic'])
    expect(first.outputs).toEqual([{name: 'TopicArn'}, {name: 'LargeQueueUrl', condition: {name: 'IsLarge', value: 'true'}}])
    expect(first.notCreated.resources.map((resource) => resource.logicalId)).toEqual(['PeerTopic'])
  })

  it('keeps what a condition over another stack\'s output would create, marked unknown offline, rather than dropping it', () => {
    const second = stackOf(planOf(project(), 'dev'), 'second')
    expect(second.parameters.Peer).toEqual({value: '<first.TopicArn>', source: 'stack-output', placeholder: true})
    expect(second.resources.find((resource) => resource.logicalId === 'PeerTopic')).toEqual({
      logicalId: 'PeerTopic',
      type: 'AWS::SNS::Topic',
      stateful: false,
      condition: {name: 'HasPeer', value: 'unknown'},
    })
    expect(second.outputs).toEqual([{name: 'TopicArn'}, {name: 'PeerTopicArn', condition: {name: 'HasPeer', value: 'unknown'}}])
    expect(second.notCreated).toEqual({resources: [{logicalId: 'LargeQueue', type: 'AWS::SQS::Queue', condition: 'IsLarge'}], outputs: [{name: 'LargeQueueUrl', condition: 'IsLarge'}]})
  })

  it('prints the conditions beside the resources, the outputs, and what the env does not get under its own heading', () => {
    const text = renderOfflinePlan(planOf(project(), 'dev'))
    const second = text.slice(text.indexOf('  fintech-dev-messaging-second'))
    expect(second.split('\n').slice(6)).toEqual([
      '    Resource    Type             Keeps data  DeletionPolicy  Condition',
      '    Topic       AWS::SNS::Topic',
      '    PeerTopic   AWS::SNS::Topic                              HasPeer: unknown offline',
      '    IrishTopic  AWS::SNS::Topic                              InIreland',
      '',
      '    Outputs: TopicArn, PeerTopicArn (HasPeer: unknown offline)',
      '',
      '    Not created in dev (condition false):',
      '      LargeQueue     AWS::SQS::Queue  IsLarge',
      '      LargeQueueUrl  output           IsLarge',
    ])
  })
})

describe('the shipped platform\'s offline plan, per env', () => {
  const loaded = loadConfig(fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url)))
  const plans = Object.fromEntries(['dev', 'test', 'prod'].map((env) => [env, planEnvironment(loaded, resolveEnv(loaded, env), loaded.config.stages)]))
  const offline = Object.fromEntries(Object.entries(plans).map(([env, plan]) => [env, offlinePlan(plan)]))
  const notCreated = (env: string, id: string) => stackOf(offline[env]!, id).notCreated.resources.map((resource) => `${resource.logicalId} ${resource.condition}`)
  const conditional = (env: string, id: string) =>
    stackOf(offline[env]!, id)
      .resources.filter((resource) => resource.condition)
      .map((resource) => `${resource.logicalId} ${resource.condition!.name} ${resource.condition!.value}`)

  const RECOVERY = ['BackupVault', 'BackupRole', 'BackupPlan', 'BackupSelection'].map((id) => `${id} HasRecovery`)
  const FAILOVER = ['PrimaryHealthCheck', 'RecoveryHealthCheck', 'PrimaryFailoverRecord', 'SecondaryFailoverRecord'].map((id) => `${id} HasFailover`)
  const EXTRA_NATS = ['NatAddress2', 'NatGateway2', 'NatAddress3', 'NatGateway3'].map((id) => `${id} NatPerAz`)
  const HUB = ['TransitGatewayAttachment', 'AppHubRoute1', 'AppHubRoute2', 'AppHubRoute3'].map((id) => `${id} AttachTransitGateway`)

  const COMPUTE = [
    'Cluster', 'LedgerLogGroup', 'LedgerExecutionRole', 'LedgerTaskRole', 'LedgerTaskDefinition', 'LedgerService', 'AccessLogBucket', 'AccessLogBucketPolicy',
    'LoadBalancer', 'TargetGroup', 'HttpsListener', 'HttpRedirectListener', 'ScalableTarget', 'RequestCountScaling', 'CpuScaling', 'Alb5xxRateAlarm',
    'LatencyP99Alarm', 'UnhealthyTargetsAlarm', 'AuroraCpuAlarm', 'AuroraReplicaLagAlarm', 'RedisNode1StatusAlarm', 'RedisNode2StatusAlarm',
    'RedisNode3StatusAlarm', 'Dashboard',
  ]
  const listed = (env: string, id: string) => stackOf(offline[env]!, id).resources.map((resource) => resource.logicalId)

  it('lists the compute stack\'s resources of dev and prod exactly: prod adds the failover records (unknown offline) and the WebAcl', () => {
    expect(listed('dev', 'compute')).toEqual(COMPUTE)
    expect(listed('prod', 'compute')).toEqual([...COMPUTE, ...FAILOVER.map((entry) => entry.split(' ')[0]), 'WebAcl', 'WebAclAssociation'])
  })

  it('dev gets no WebAcl, Distribution, failover records, second and third NAT, Aurora reader or recovery copies', () => {
    expect(notCreated('dev', 'baseline')).toEqual(['ProdDataConformancePack IsProd', 'AlarmSmsSubscription HasSms', 'ArtifactReplicationRole HasRecovery', 'ArtifactReplicationPolicy HasRecovery'])
    expect(notCreated('dev', 'network')).toEqual([...EXTRA_NATS, ...HUB])
    expect(notCreated('dev', 'data')).toEqual([
      'AuroraGlobalCluster HasRecovery',
      'AuroraReader1 HasReader1',
      'AuroraReader2 HasReader2',
      'SessionsGlobalTable HasRecovery',
      'RedisBackupReplicationRole HasRecovery',
      'RedisBackupReplicationPolicy HasRecovery',
      ...RECOVERY,
    ])
    expect(notCreated('dev', 'compute')).toEqual([...FAILOVER, 'WebAcl UseWaf', 'WebAclAssociation UseWaf', 'Distribution UseCloudFront'])
    expect(['baseline', 'network', 'data', 'compute'].map((id) => conditional('dev', id))).toEqual([['ConfigServiceLinkedRole CreatesConfigRole true'], [], ['SessionsTable NoRecovery true'], []])
  })

  it('test gets one Aurora reader and the WebAcl, still one NAT and no Distribution', () => {
    expect(notCreated('test', 'network')).toEqual([...EXTRA_NATS, ...HUB])
    expect(conditional('test', 'data')).toEqual(['AuroraReader1 HasReader1 true', 'SessionsTable NoRecovery true'])
    expect(notCreated('test', 'data')).toContain('AuroraReader2 HasReader2')
    expect(conditional('test', 'compute')).toEqual(['WebAcl UseWaf true', 'WebAclAssociation UseWaf true'])
    expect(notCreated('test', 'compute')).toEqual([...FAILOVER, 'Distribution UseCloudFront'])
  })

  it('prod gets the WebAcl, a NAT per AZ and a reader; what hangs on the recovery stacks\' outputs is unknown offline and kept', () => {
    expect(conditional('prod', 'network')).toEqual(EXTRA_NATS.map((entry) => `${entry} true`))
    expect(notCreated('prod', 'network')).toEqual(HUB)
    expect(notCreated('prod', 'data')).toEqual(['AuroraReader2 HasReader2'])
    expect(conditional('prod', 'data')).toEqual([
      'AuroraGlobalCluster HasRecovery unknown',
      'AuroraReader1 HasReader1 true',
      'SessionsTable NoRecovery unknown',
      'SessionsGlobalTable HasRecovery unknown',
      'RedisBackupReplicationRole HasRecovery unknown',
      'RedisBackupReplicationPolicy HasRecovery unknown',
      ...RECOVERY.map((entry) => `${entry} unknown`),
    ])
    expect(notCreated('prod', 'compute')).toEqual(['Distribution UseCloudFront'])
    expect(conditional('prod', 'compute')).toEqual([...FAILOVER.map((entry) => `${entry} unknown`), 'WebAcl UseWaf true', 'WebAclAssociation UseWaf true'])
    expect(stackOf(offline.prod!, 'data').outputs.filter((output) => output.condition)).toEqual(
      ['AuroraGlobalClusterId', 'BackupVaultName', 'BackupPlanId'].map((name) => ({name, condition: {name: 'HasRecovery', value: 'unknown'}})),
    )
  })

  it('splits every template resource between created and not created, in template order, agreeing with cost estimate\'s evaluation', () => {
    for (const [env, plan] of Object.entries(plans)) {
      for (const job of plan.stages.flatMap((stage) => stage.jobs)) {
        const stack = stackOf(offline[env]!, job.id)
        const listed = stack.resources.map((resource) => resource.logicalId)
        const left = stack.notCreated.resources.map((resource) => resource.logicalId)
        expect([...listed, ...left].sort(), `${env} ${job.id}`).toEqual(Object.keys(job.template.resources).sort())
        expect(listed, `${env} ${job.id}`).toEqual(Object.keys(evaluateJob(plan, job)))
        expect([...stack.outputs.map((output) => output.name), ...stack.notCreated.outputs.map((output) => output.name)].sort()).toEqual([...job.template.outputs].sort())
      }
    }
  })
})
