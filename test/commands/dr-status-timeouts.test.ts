import {beforeAll, expect, it} from 'vitest'
import DrStatus from '../../src/commands/dr/status.js'
import {useLoopbackAws} from '../helpers/loopback-aws.js'
import {makeDrProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

/**
 * `fintech dr status` during the regional outage it exists for: STS and CloudFormation answer,
 * every source it judges (RDS, CloudWatch, DynamoDB, S3, Backup, Route 53) takes the request
 * and never answers. The status must end, judge each source unreadable (exit 3, not 0 and not
 * a hang), and say which call timed out.
 */
const ACCOUNT = '333333333333'
const requests: string[] = []

const outputsXml = (outputs: Record<string, string>) =>
  Object.entries(outputs)
    .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
    .join('')

const STACK_OUTPUTS: Record<string, Record<string, string>> = {
  'fintech-prod-foundation': {ArtifactBucketName: 'fintech-prod-artifacts'},
  'fintech-prod-data': {SessionsTableName: 'fintech-prod-sessions', RedisBackupBucketName: 'fintech-prod-redis-backups', AuroraClusterId: 'fintech-prod-aurora'},
  'fintech-prod-compute': {PrimaryHealthCheckId: 'hc-primary', RecoveryHealthCheckId: 'hc-recovery', FailoverRecordName: 'api.bank.example', HostedZoneId: 'Z1'},
}

const aws = useLoopbackAws((action, parameters, request) => {
  requests.push(action || `${request.headers.host} ${request.headers['content-type'] ?? ''}`.trim())
  if (action === 'GetCallerIdentity') {
    return {body: `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::${ACCOUNT}:user/oncall</Arn><Account>${ACCOUNT}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`}
  }
  if (action === 'DescribeStacks') {
    const name = parameters.get('StackName')!
    return {
      body:
        `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>${name}</StackName>` +
        `<StackId>arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/${name}/1</StackId><StackStatus>UPDATE_COMPLETE</StackStatus>` +
        `<CreationTime>2026-12-01T00:00:00Z</CreationTime><Outputs>${outputsXml(STACK_OUTPUTS[name] ?? {})}</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`,
    }
  }
  return 'hang'
})


beforeAll(() => {
  process.env.AWS_ENDPOINT_URL = aws.endpoint()
})

it('judges every source unreadable when none answers, names the timed-out calls, and exits 3', async () => {
  const config = makeDrProject('eu-west-2', 'aws: {requestTimeoutMs: 100}\n')
  const run = await runCli(DrStatus, ['--env', 'prod', '--config', config, '--json'])

  expect(run.exitCode, run.stderr).toBe(3)
  const {aurora, dynamodb, buckets, backup, health} = run.json
  const checks = [aurora, dynamodb, ...buckets, backup, ...health]
  expect(checks).toHaveLength(7)
  const timedOut = /^(RDS DescribeGlobalClusters|DynamoDB DescribeTable|S3 GetBucketReplication|Backup ListCopyJobs|Route53 GetHealthCheck(Status)?) failed \(timed out, 8 attempts\): .*\b100 ms\b/
  for (const check of checks) {
    expect(check.state, JSON.stringify(check)).toBe('unreadable')
    expect(check.problems.length, JSON.stringify(check)).toBeGreaterThan(0)
    for (const problem of check.problems) expect(problem.message).toMatch(timedOut)
  }
  // Each source was asked, and asked again up to the attempts the SDK allows, never more.
  const attempts = (action: string) => requests.filter((request) => request === action).length
  expect(attempts('DescribeGlobalClusters')).toBe(8)
  // STS answers at once: asked once, or again when a loaded machine read its answer after the 100 ms.
  expect(attempts('GetCallerIdentity')).toBeGreaterThanOrEqual(1)
  expect(attempts('GetCallerIdentity')).toBeLessThan(8)
})
