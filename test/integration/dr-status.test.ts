/**
 * `fintech dr status` (the built CLI) against moto_server, two regions: the adapters' real
 * requests and answers for what moto has — RDS global clusters across regions, CloudWatch
 * metrics, S3 replication, Route 53 health checks, CloudFormation outputs. moto 5.2.1 lacks the
 * rest, and the test says so where it shows: DynamoDB keeps no global-table replicas
 * (UpdateTable ReplicaUpdates is accepted and DescribeTable has no Replicas), Backup has no
 * ListCopyJobs (an HTML 404 page), and GetHealthCheckStatus always answers Success.
 * Those paths are covered with exact requests in test/commands/dr-status.test.ts.
 */
import {CreateStackCommand} from '@aws-sdk/client-cloudformation'
import {CloudWatchClient, PutMetricDataCommand} from '@aws-sdk/client-cloudwatch'
import {CreateTableCommand, DynamoDBClient} from '@aws-sdk/client-dynamodb'
import {CreateDBClusterCommand, CreateGlobalClusterCommand, RDSClient} from '@aws-sdk/client-rds'
import {CreateHealthCheckCommand, Route53Client} from '@aws-sdk/client-route-53'
import {CreateBucketCommand, PutBucketReplicationCommand, PutBucketVersioningCommand, S3Client} from '@aws-sdk/client-s3'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ACCOUNT, REGION, explain, useMoto} from './moto.js'

const RECOVERY = 'us-west-2'
const ctx = useMoto()

const TEMPLATE = (outputs: Record<string, string>) =>
  JSON.stringify({AWSTemplateFormatVersion: '2010-09-09', Resources: {Topic: {Type: 'AWS::SNS::Topic'}}, Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, {Value: value}]))})

function project(dir: string): string {
  const stage = (name: string) => `  - name: ${name}\n    stacks:\n      - id: ${name}\n        template: templates/${name}.json\n`
  mkdirSync(join(dir, 'templates'))
  for (const name of ['foundation', 'data', 'compute']) writeFileSync(join(dir, 'templates', `${name}.json`), TEMPLATE({}))
  const config = `project: fintech
polling: {initialMs: 50, maxMs: 200}
environments:
  prod:
    account: "${ACCOUNT}"
    region: ${REGION}
    protected: true
    recovery: {region: ${RECOVERY}, rpoSeconds: 60}
    tags: {Environment: prod, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: restricted}
stages:
${stage('foundation')}${stage('data')}${stage('compute')}`
  writeFileSync(join(dir, 'fintech.config.yaml'), config)
  return join(dir, 'fintech.config.yaml')
}

async function platform(endpoint: string) {
  const settings = (region: string) => ({endpoint, region, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts: 2})
  const [rdsPrimary, rdsRecovery] = [new RDSClient(settings(REGION)), new RDSClient(settings(RECOVERY))]
  await rdsPrimary.send(new CreateGlobalClusterCommand({GlobalClusterIdentifier: 'fintech-prod-ledger-global', Engine: 'aurora-postgresql'}))
  await rdsPrimary.send(new CreateDBClusterCommand({DBClusterIdentifier: 'fintech-prod-aurora', Engine: 'aurora-postgresql', MasterUsername: 'ledger', MasterUserPassword: 'a-long-password-1', GlobalClusterIdentifier: 'fintech-prod-ledger-global'}))
  await rdsRecovery.send(new CreateDBClusterCommand({DBClusterIdentifier: 'fintech-prod-aurora-recovery', Engine: 'aurora-postgresql', GlobalClusterIdentifier: 'fintech-prod-ledger-global'}))
  // Half a minute old, as CloudWatch's own datapoints arrive: moto 5.2.1 drops the milliseconds
  // of EndTime and excludes it, so a datapoint from the same second as the CLI's read is missed.
  const now = new Date(Date.now() - 30_000)
  await new CloudWatchClient(settings(RECOVERY)).send(
    new PutMetricDataCommand({
      Namespace: 'AWS/RDS',
      MetricData: [
        {MetricName: 'AuroraGlobalDBRPOLag', Dimensions: [{Name: 'DBClusterIdentifier', Value: 'fintech-prod-aurora-recovery'}], Timestamp: now, Value: 800, Unit: 'Milliseconds'},
        {MetricName: 'AuroraGlobalDBReplicationLag', Dimensions: [{Name: 'DBClusterIdentifier', Value: 'fintech-prod-aurora-recovery'}], Timestamp: now, Value: 120, Unit: 'Milliseconds'},
      ],
    }),
  )
  const s3 = new S3Client({...settings(REGION), forcePathStyle: true})
  for (const bucket of ['fintech-prod-artifacts', 'fintech-prod-redis-backups']) {
    await s3.send(new CreateBucketCommand({Bucket: bucket}))
    await s3.send(new PutBucketVersioningCommand({Bucket: bucket, VersioningConfiguration: {Status: 'Enabled'}}))
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: bucket,
        ReplicationConfiguration: {
          Role: `arn:aws:iam::${ACCOUNT}:role/replication`,
          Rules: [{ID: 'to-recovery', Status: 'Enabled', Priority: 1, Filter: {Prefix: ''}, DeleteMarkerReplication: {Status: 'Disabled'}, Destination: {Bucket: `arn:aws:s3:::${bucket}-recovery`, Metrics: {Status: 'Enabled', EventThreshold: {Minutes: 15}}, ReplicationTime: {Status: 'Enabled', Time: {Minutes: 15}}}}],
        },
      }),
    )
  }
  await new DynamoDBClient(settings(REGION)).send(
    new CreateTableCommand({TableName: 'fintech-prod-sessions', KeySchema: [{AttributeName: 'id', KeyType: 'HASH'}], AttributeDefinitions: [{AttributeName: 'id', AttributeType: 'S'}], BillingMode: 'PAY_PER_REQUEST'}),
  )
  const route53 = new Route53Client(settings(REGION))
  const check = async (reference: string, fqdn: string) =>
    (await route53.send(new CreateHealthCheckCommand({CallerReference: reference, HealthCheckConfig: {Type: 'HTTPS', FullyQualifiedDomainName: fqdn, ResourcePath: '/health', Port: 443}}))).HealthCheck!.Id!
  const [primaryCheck, recoveryCheck] = [await check('primary', 'primary.bank.example'), await check('recovery', 'recovery.bank.example')]
  const stack = (name: string, outputs: Record<string, string>) => ctx.moto.cfn.send(new CreateStackCommand({StackName: name, TemplateBody: TEMPLATE(outputs)}))
  await stack('fintech-prod-foundation', {ArtifactBucketName: 'fintech-prod-artifacts'})
  await stack('fintech-prod-data', {SessionsTableName: 'fintech-prod-sessions', RedisBackupBucketName: 'fintech-prod-redis-backups', AuroraClusterId: 'fintech-prod-aurora'})
  await stack('fintech-prod-compute', {PrimaryHealthCheckId: primaryCheck, RecoveryHealthCheckId: recoveryCheck})
  return {primaryCheck, recoveryCheck}
}

describe('dr status against moto', {timeout: 90_000}, () => {
  it('reads the global database across both regions, the lag, S3 replication and Route 53, and names what moto lacks', async () => {
    const {primaryCheck} = await platform(ctx.moto.endpoint)
    const run = await ctx.run(['dr', 'status', '--env', 'prod', '--config', project(ctx.dir), '--json'])
    // Out of bounds only because moto keeps no DynamoDB replica (see the top of this file).
    expect(run.exitCode, explain(run)).toBe(1)
    expect(run.json.aurora).toMatchObject({
      state: 'ok',
      status: 'available',
      writerRegion: REGION,
      writerClusterId: 'fintech-prod-aurora',
      secondaryRegion: RECOVERY,
      secondaryClusterId: 'fintech-prod-aurora-recovery',
      rpoLagMs: 800,
      replicationLagMs: 120,
    })
    expect(run.json.buckets).toMatchObject([
      {state: 'ok', bucket: 'fintech-prod-artifacts', destinationBucket: 'fintech-prod-artifacts-recovery', ruleId: 'to-recovery'},
      {state: 'ok', bucket: 'fintech-prod-redis-backups', ruleId: 'to-recovery'},
    ])
    expect(run.json.health[0]).toMatchObject({state: 'ok', healthCheckId: primaryCheck, endpointHealthy: true, inverted: false})
    expect(run.json.serving).toMatchObject({state: 'ok', dnsRegion: REGION, writerRegion: REGION})
    expect(run.json.dynamodb.problems).toEqual([{state: 'out-of-bounds', message: `fintech-prod-sessions has no replica in ${RECOVERY}`}])
    expect(run.json.backup).toMatchObject({state: 'unreadable', problems: [{state: 'unreadable', message: 'Backup ListCopyJobs failed (HTTP 404, 1 attempt): unparseable response (text/html; charset=utf-8)'}]})
    // dr status only reads.
    expect(run.audit).toEqual([])
  })
})
