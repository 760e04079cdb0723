/**
 * The recovery compute stage, Route 53 failover and artifact replication as each env deploys
 * them (the shipped config and templates, parameters and conditions resolved offline), and the
 * output names `fintech dr status` and the DR runbooks read, checked against the templates.
 */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {evaluateJob} from '../../src/core/cost/estimate.js'
import {planEnvironment, type EnvironmentPlan} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {stackNameById} from '../../src/core/stages/select.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

type Resource = {Type: string; Properties: Record<string, any>}

const loaded = loadConfig(`${root}/fintech.config.yaml`)
const planOf = (env: string) => planEnvironment(loaded, resolveEnv(loaded, env), loaded.config.stages)
const jobOf = (plan: EnvironmentPlan, id: string) => plan.stages.flatMap((stage) => stage.jobs).find((job) => job.id === id)
const resourcesOf = (env: string, id: string) => {
  const plan = planOf(env)
  return evaluateJob(plan, jobOf(plan, id)!) as Record<string, Resource>
}
const ofType = (resources: Record<string, Resource>, type: string) => Object.keys(resources).filter((id) => resources[id]!.Type === type)

describe('Route 53 failover in the primary compute stack', () => {
  it('prod checks both load balancers over HTTPS on the health path and fails the public name over from PRIMARY to SECONDARY', () => {
    const compute = resourcesOf('prod', 'compute')
    const check = (fqdn: unknown) => ({Type: 'HTTPS', FullyQualifiedDomainName: fqdn, Port: 443, ResourcePath: '/health', EnableSNI: true, RequestInterval: 30, FailureThreshold: 3})
    expect(compute.PrimaryHealthCheck!.Properties.HealthCheckConfig).toEqual(check({'Fn::GetAtt': ['LoadBalancer', 'DNSName']}))
    expect(compute.RecoveryHealthCheck!.Properties.HealthCheckConfig).toEqual(check({Ref: 'RecoveryLoadBalancerDnsName'}))
    const record = (failover: string, healthCheck: string, dnsName: unknown, zone: unknown) => ({
      HostedZoneId: 'Z04417263FINTECHPROD',
      Name: 'api.fintech-bank.example',
      Type: 'A',
      Failover: failover,
      HealthCheckId: {Ref: healthCheck},
      AliasTarget: {DNSName: dnsName, HostedZoneId: zone, EvaluateTargetHealth: false},
    })
    expect(compute.PrimaryFailoverRecord!.Properties).toMatchObject(record('PRIMARY', 'PrimaryHealthCheck', {'Fn::GetAtt': ['LoadBalancer', 'DNSName']}, {'Fn::GetAtt': ['LoadBalancer', 'CanonicalHostedZoneID']}))
    expect(compute.SecondaryFailoverRecord!.Properties).toMatchObject(record('SECONDARY', 'RecoveryHealthCheck', {Ref: 'RecoveryLoadBalancerDnsName'}, {Ref: 'RecoveryLoadBalancerHostedZoneId'}))
  })

  it('feeds the SECONDARY side from the compute-recovery stack, which therefore deploys first, in the recovery region', () => {
    const plan = planOf('prod')
    const compute = plan.stages.find((stage) => stage.stage.name === 'compute')!
    expect(compute.jobs.map((job) => [job.stackName, job.region, job.dependsOn])).toEqual([
      ['fintech-prod-compute', 'eu-west-1', ['compute-recovery']],
      ['fintech-prod-compute-recovery', 'us-east-1', []],
    ])
    expect(jobOf(plan, 'compute')!.config.parameters).toMatchObject({
      RecoveryLoadBalancerDnsName: {stackOutput: 'compute-recovery.LoadBalancerDnsName'},
      RecoveryLoadBalancerHostedZoneId: {stackOutput: 'compute-recovery.LoadBalancerHostedZoneId'},
    })
  })

  it('dev and test, without a recovery region or hosted zone, get no health checks or records', () => {
    for (const env of ['dev', 'test']) {
      const compute = resourcesOf(env, 'compute')
      expect(ofType(compute, 'AWS::Route53::HealthCheck')).toEqual([])
      expect(ofType(compute, 'AWS::Route53::RecordSet')).toEqual([])
      expect(compute.LedgerService).toBeDefined()
    }
  })
})

describe('the recovery compute stack (templates/recovery/compute.yaml)', () => {
  it('runs one standby task of the primary image and size, on the Aurora secondary and the sessions replica, without Redis', () => {
    const recovery = resourcesOf('prod', 'compute-recovery')
    expect(recovery.LedgerService!.Properties).toMatchObject({DesiredCount: '1', LaunchType: 'FARGATE'})
    expect(recovery.ScalableTarget!.Properties).toMatchObject({MinCapacity: '1', MaxCapacity: '24'})
    const task = recovery.LedgerTaskDefinition!.Properties
    expect(task).toMatchObject({Cpu: '1024', Memory: '2048'})
    const container = task.ContainerDefinitions[0]
    expect(container.Image).toBe('333333333333.dkr.ecr.eu-west-1.amazonaws.com/fintech-ledger:1.0.0')
    const environment = Object.fromEntries(container.Environment.map((entry: {Name: string; Value: unknown}) => [entry.Name, entry.Value]))
    expect(environment).toMatchObject({DB_HOST: {Ref: 'AuroraWriterEndpoint'}, SESSIONS_TABLE: {Ref: 'SessionsTableName'}, AWS_REGION: 'us-east-1'})
    expect(Object.keys(environment).filter((name) => name.startsWith('REDIS'))).toEqual([])
    expect(container.Secrets).toBeUndefined()
  })

  it('serves HTTPS with a certificate of the recovery region, behind WAF like the primary', () => {
    const recovery = resourcesOf('prod', 'compute-recovery')
    expect(recovery.HttpsListener!.Properties.Certificates).toEqual([{CertificateArn: 'arn:aws:acm:us-east-1:333333333333:certificate/4e3d2c1b-0a9f-4e8d-7c6b-5a4f3e2d1c0b'}])
    expect(recovery.LoadBalancer!.Properties.Scheme).toBe('internet-facing')
    expect(ofType(recovery, 'AWS::WAFv2::WebACLAssociation')).toEqual(['WebAclAssociation'])
  })
})

describe('artifact bucket replication (foundation baseline)', () => {
  it('prod replicates every version to the recovery replica under the recovery data key, with metrics, after baseline-recovery', () => {
    const plan = planOf('prod')
    expect(jobOf(plan, 'baseline')!.dependsOn).toEqual(['baseline-recovery'])
    const baseline = evaluateJob(plan, jobOf(plan, 'baseline')!) as Record<string, Resource>
    // The recovery outputs are not known offline, so HasRecovery stays undecided: the rule is the "then" branch.
    const [condition, rule] = baseline.ArtifactBucket!.Properties.ReplicationConfiguration['Fn::If']
    expect(condition).toBe('HasRecovery')
    expect(rule.Rules).toEqual([
      {
        Id: 'to-recovery-region',
        Status: 'Enabled',
        Priority: 1,
        Filter: {Prefix: ''},
        DeleteMarkerReplication: {Status: 'Enabled'},
        SourceSelectionCriteria: {SseKmsEncryptedObjects: {Status: 'Enabled'}},
        Destination: {
          Bucket: {'Fn::Sub': 'arn:${AWS::Partition}:s3:::${ArtifactReplicaBucketName}'},
          EncryptionConfiguration: {ReplicaKmsKeyID: {'Fn::Sub': 'arn:${AWS::Partition}:kms:${RecoveryRegion}:${AWS::AccountId}:key/${RecoveryDataKeyId}'}},
          Metrics: {Status: 'Enabled', EventThreshold: {Minutes: 15}},
        },
      },
    ])
    expect(jobOf(plan, 'baseline')!.config.parameters).toMatchObject({
      RecoveryRegion: {stackOutput: 'baseline-recovery.Region'},
      RecoveryDataKeyId: {stackOutput: 'baseline-recovery.DataKeyId'},
      ArtifactReplicaBucketName: {stackOutput: 'baseline-recovery.ArtifactReplicaBucketName'},
    })
  })

  it('dev has no replication rule and no replication role', () => {
    const baseline = resourcesOf('dev', 'baseline')
    expect(baseline.ArtifactBucket!.Properties.ReplicationConfiguration).toBeUndefined()
    expect(baseline.ArtifactReplicationRole).toBeUndefined()
    expect(baseline.ArtifactReplicationPolicy).toBeUndefined()
  })
})

describe('the outputs DR reads are outputs the shipped stacks declare', () => {
  const plan = planOf('prod')
  const outputsOfStack = (stackName: string) => plan.stages.flatMap((stage) => stage.jobs).find((job) => job.stackName === stackName)!.template.outputs

  it('every {stackOutput} parameter of the DR runbooks', () => {
    for (const name of ['dr-failover', 'dr-failover-unplanned', 'dr-failback']) {
      const runbook = parse(readFileSync(`${root}/runbooks/${name}.yaml`, 'utf8')) as {parameters: Record<string, {from?: {stackOutput?: string}}>}
      for (const parameter of Object.values(runbook.parameters)) {
        const wired = parameter.from?.stackOutput
        if (!wired) continue
        const [stackId, output] = wired.split('.') as [string, string]
        expect([name, wired, outputsOfStack(stackNameById(loaded.config, 'prod', stackId)!)]).toEqual([name, wired, expect.arrayContaining([output])])
      }
    }
  })

  it('every output the DR runbooks read from a recovery stack with DescribeStacks', () => {
    const read: string[] = []
    for (const name of ['dr-failover', 'dr-failover-unplanned', 'dr-failback']) {
      const runbook = parse(readFileSync(`${root}/runbooks/${name}.yaml`, 'utf8')) as {steps: Array<{api?: string; parameters?: {StackName?: string}; outputs?: Record<string, string>}>}
      for (const step of runbook.steps.filter((candidate) => candidate.api === 'DescribeStacks')) {
        const stackName = step.parameters!.StackName!.replace('{{ params.environment }}', 'prod')
        for (const selector of Object.values(step.outputs ?? {})) {
          const output = /OutputKey == "(\w+)"/.exec(selector)![1]!
          read.push(`${stackName}.${output}`)
          expect([name, output, outputsOfStack(stackName)]).toEqual([name, output, expect.arrayContaining([output])])
        }
      }
    }
    expect(read).toEqual(expect.arrayContaining(['fintech-prod-compute-recovery.ClusterName', 'fintech-prod-compute-recovery.ServiceName', 'fintech-prod-compute-recovery.TargetGroupArn']))
  })

  it('the health checks and failover record of dr status, in the primary compute stack, declared only where failover is on', () => {
    const outputs = (plan.stages.find((stage) => stage.stage.name === 'compute')!.jobs.find((job) => job.id === 'compute')!.template.document.Outputs ?? {}) as Record<string, {Condition?: string}>
    for (const key of ['PrimaryHealthCheckId', 'RecoveryHealthCheckId', 'FailoverRecordName', 'HostedZoneId']) expect([key, outputs[key]?.Condition]).toEqual([key, 'HasFailover'])
    expect(outputsOfStack('fintech-prod-foundation')).toContain('ArtifactBucketName')
  })
})

describe('S3 replication as prod deploys it', () => {
  it('every rule has replication metrics on, without which fintech dr status cannot read the backlog', () => {
    const plan = planOf('prod')
    const rules = plan.stages
      .flatMap((stage) => stage.jobs)
      .flatMap((job) =>
        Object.entries(evaluateJob(plan, job) as Record<string, Resource>)
          .filter(([, resource]) => resource.Type === 'AWS::S3::Bucket' && resource.Properties?.ReplicationConfiguration)
          .flatMap(([id, resource]) => {
            // Offline, HasRecovery stays undecided (it reads the recovery stacks' outputs): the rule is the "then" branch.
            const [condition, configuration] = resource.Properties.ReplicationConfiguration['Fn::If']
            expect(condition).toBe('HasRecovery')
            return (configuration.Rules as Array<{Id: string; Destination: {Metrics?: unknown}}>).map((rule) => [`${job.id}.${id}.${rule.Id}`, rule.Destination.Metrics])
          }),
      )
    expect(rules.map(([name]) => name).sort()).toEqual(['baseline.ArtifactBucket.to-recovery-region', 'data.RedisBackupBucket.to-recovery-region'])
    for (const [name, metrics] of rules) expect(metrics, name as string).toEqual({Status: 'Enabled', EventThreshold: {Minutes: 15}})
  })
})
