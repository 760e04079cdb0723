// `fintech tags audit` of an account with 100,000 resources the Tagging API knows, through the
// built command class and the real src/aws adapters, against aws-sdk-client-mock'd SDK clients
// (the build's bundles in dist/sdk, which the child process resolves as bin/run.js does).
//
// The mocked account answers as AWS does where it shapes the work: GetResources pages of at
// most 100 (1,000 pages), DescribeInstances pages of 1,000, DescribeVolumes 500, security groups
// 1,000, DescribeLogGroups 50, ListTables 100, ListBuckets 1,000, with tags where the real
// listings carry them. The listings return their share of the same resources again (merged by
// ARN) plus 1,000 that were never tagged, so the Tagging API never returns them. Pages are built
// on demand from their index, so the bench holds no inventory of its own.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {CloudWatchLogsClient, DescribeLogGroupsCommand, ListTagsForResourceCommand} from '@aws-sdk/client-cloudwatch-logs'
import {DynamoDBClient, ListTablesCommand, ListTagsOfResourceCommand} from '@aws-sdk/client-dynamodb'
import {
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import {ECSClient, ListClustersCommand} from '@aws-sdk/client-ecs'
import {DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient} from '@aws-sdk/client-rds'
import {GetResourcesCommand, ResourceGroupsTaggingAPIClient} from '@aws-sdk/client-resource-groups-tagging-api'
import {GetBucketTaggingCommand, ListBucketsCommand, S3Client} from '@aws-sdk/client-s3'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {Config} from '@oclif/core'
import {mockClient} from 'aws-sdk-client-mock'
import {runQuietly} from './run-quietly.js'

const ACCOUNT = '111111111111'
const REGION = 'eu-west-1'
/** What the Tagging API returns: 100,000 resources, by kind, in this order. */
const TAGGED = [
  ['volume', 30_000],
  ['instance', 10_000],
  ['security-group', 5_000],
  ['log-group', 10_000],
  ['table', 5_000],
  ['bucket', 2_000],
  ['topic', 18_000],
  ['function', 20_000],
]
/** Found only by the listings: never tagged. */
const NEVER_TAGGED = {volume: 500, 'log-group': 300, bucket: 200}
export const SIZE = {tagged: TAGGED.reduce((sum, [, count]) => sum + count, 0), neverTagged: Object.values(NEVER_TAGGED).reduce((sum, count) => sum + count, 0)}
/** The rate the bench runs at: the default (5 a second) would hold 1,000 pages to over 199 s of waiting. */
export const BENCH_TPS = 500

// Strings built with join() are flat, as a JSON deserializer's are; template literals would leave
// chains of concatenated pieces that no real answer has.
const flat = (...parts) => parts.join('')
const hex = (n) => n.toString(16).padStart(17, '0')
const arnOf = {
  volume: (n) => flat('arn:aws:ec2:', REGION, ':', ACCOUNT, ':volume/vol-', hex(n)),
  instance: (n) => flat('arn:aws:ec2:', REGION, ':', ACCOUNT, ':instance/i-', hex(n)),
  'security-group': (n) => flat('arn:aws:ec2:', REGION, ':', ACCOUNT, ':security-group/sg-', hex(n)),
  'log-group': (n) => flat('arn:aws:logs:', REGION, ':', ACCOUNT, ':log-group:/fintech/service-', n),
  table: (n) => flat('arn:aws:dynamodb:', REGION, ':', ACCOUNT, ':table/table-', n),
  bucket: (n) => flat('arn:aws:s3:::fintech-bucket-', n),
  topic: (n) => flat('arn:aws:sns:', REGION, ':', ACCOUNT, ':topic-', n),
  function: (n) => flat('arn:aws:lambda:', REGION, ':', ACCOUNT, ':function:function-', n),
}
const OWNERS = ['platform-engineering', 'payments', 'ledger-team', 'data', 'security', 'risk', 'cards', 'lending']

/**
 * Tags as CloudFormation stamps them: each of 60 stacks gives its resources one Owner, Service,
 * CostCenter and DataClassification. Every 50th resource lacks CostCenter, every 97th has
 * Environment=staging; the rest comply. With `variety` 'unique' every resource has a Service of
 * its own, so no two carry the same tag set: the worst case for memory.
 */
function tagsOf(n, variety) {
  const stack = n % 60
  const tags = {
    Environment: n % 97 === 0 ? 'staging' : 'dev',
    Owner: OWNERS[stack % OWNERS.length],
    Service: flat('service-', variety === 'unique' ? n : stack),
    DataClassification: stack % 2 === 0 ? 'internal' : 'confidential',
    Name: flat('resource-', n),
    'aws:cloudformation:stack-name': flat('fintech-dev-stack-', stack),
  }
  if (n % 50 !== 0) tags.CostCenter = flat('CC-', 4000 + (stack % 12))
  return tags
}
export const EXPECTED_NON_COMPLIANT = (() => {
  let count = 0
  for (let n = 0; n < SIZE.tagged; n++) if (n % 50 === 0 || n % 97 === 0) count += 1
  return count + SIZE.neverTagged
})()

/** The global index range of each kind among the tagged resources. */
const ranges = new Map()
{
  let start = 0
  for (const [kind, count] of TAGGED) {
    ranges.set(kind, {start, count})
    start += count
  }
}
const kindAt = (index) => TAGGED.find(([kind]) => index >= ranges.get(kind).start && index < ranges.get(kind).start + ranges.get(kind).count)[0]
const tagList = (tags) => Object.entries(tags).map(([Key, Value]) => ({Key, Value}))

/** The tagged resources of a kind, then its never-tagged ones (tags {}), as [arn, tags, globalIndex]. */
function listed(kind, start, size, variety) {
  const {start: first, count} = ranges.get(kind)
  const total = count + (NEVER_TAGGED[kind] ?? 0)
  const items = []
  for (let i = start; i < Math.min(total, start + size); i++) {
    items.push(i < count ? [arnOf[kind](first + i), tagsOf(first + i, variety)] : [arnOf[kind](SIZE.tagged + i), {}])
  }
  return {items, next: start + size < total ? String(start + size) : undefined}
}
const idOf = (arn) => arn.slice(arn.lastIndexOf('/') + 1)

function installMocks(variety) {
  const mocks = {
    sts: mockClient(STSClient),
    tagging: mockClient(ResourceGroupsTaggingAPIClient),
    ec2: mockClient(EC2Client),
    rds: mockClient(RDSClient),
    ecs: mockClient(ECSClient),
    dynamodb: mockClient(DynamoDBClient),
    elbv2: mockClient(ElasticLoadBalancingV2Client),
    logs: mockClient(CloudWatchLogsClient),
    s3: mockClient(S3Client),
  }
  const counts = new Map()
  // sinon keeps every answer a stub returned; dropping the history (once the call is over, as
  // sinon requires) keeps the peak RSS the CLI's own. Requests are counted here instead.
  const counted = (mock, name, answer) => (input) => {
    queueMicrotask(() => mock.resetHistory())
    counts.set(name, (counts.get(name) ?? 0) + 1)
    return answer(input)
  }
  for (const mock of Object.values(mocks)) mock.onAnyCommand().rejects(new Error('not mocked by bench/tags-audit.js'))
  const {sts, tagging, ec2, rds, ecs, dynamodb, elbv2, logs, s3} = mocks

  sts.on(GetCallerIdentityCommand).resolves({Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/bench`, UserId: 'BENCH'})
  tagging.on(GetResourcesCommand).callsFake(
    counted(tagging, 'GetResources', (input) => {
      if (input.ResourcesPerPage > 100) throw new Error('ResourcesPerPage is at most 100')
      const start = Number(input.PaginationToken ?? 0)
      const end = Math.min(SIZE.tagged, start + (input.ResourcesPerPage ?? 50))
      const list = []
      for (let n = start; n < end; n++) list.push({ResourceARN: arnOf[kindAt(n)](n), Tags: tagList(tagsOf(n, variety))})
      return {ResourceTagMappingList: list, PaginationToken: end < SIZE.tagged ? String(end) : ''}
    }),
  )

  ec2.on(DescribeInstancesCommand).callsFake(
    counted(ec2, 'DescribeInstances', (input) => {
      const {items, next} = listed('instance', Number(input.NextToken ?? 0), Math.min(input.MaxResults, 1000), variety)
      return {Reservations: [{OwnerId: ACCOUNT, Instances: items.map(([arn, tags]) => ({InstanceId: idOf(arn), Tags: tagList(tags)}))}], NextToken: next}
    }),
  )
  ec2.on(DescribeVolumesCommand).callsFake(
    counted(ec2, 'DescribeVolumes', (input) => {
      const {items, next} = listed('volume', Number(input.NextToken ?? 0), Math.min(input.MaxResults, 500), variety)
      return {Volumes: items.map(([arn, tags]) => ({VolumeId: idOf(arn), Tags: tagList(tags)})), NextToken: next}
    }),
  )
  ec2.on(DescribeSecurityGroupsCommand).callsFake(
    counted(ec2, 'DescribeSecurityGroups', (input) => {
      const {items, next} = listed('security-group', Number(input.NextToken ?? 0), Math.min(input.MaxResults, 1000), variety)
      return {SecurityGroups: items.map(([arn, tags]) => ({GroupId: idOf(arn), OwnerId: ACCOUNT, Tags: tagList(tags)})), NextToken: next}
    }),
  )
  for (const [command, name] of [
    [DescribeVpcsCommand, 'DescribeVpcs'],
    [DescribeSubnetsCommand, 'DescribeSubnets'],
    [DescribeRouteTablesCommand, 'DescribeRouteTables'],
    [DescribeInternetGatewaysCommand, 'DescribeInternetGateways'],
    [DescribeNatGatewaysCommand, 'DescribeNatGateways'],
  ]) {
    ec2.on(command).callsFake(counted(ec2, name, () => ({})))
  }
  rds.on(DescribeDBClustersCommand).callsFake(counted(rds, 'DescribeDBClusters', () => ({})))
  rds.on(DescribeDBInstancesCommand).callsFake(counted(rds, 'DescribeDBInstances', () => ({})))
  ecs.on(ListClustersCommand).callsFake(counted(ecs, 'ListClusters', () => ({})))
  elbv2.on(DescribeLoadBalancersCommand).callsFake(counted(elbv2, 'DescribeLoadBalancers', () => ({})))
  elbv2.on(DescribeTargetGroupsCommand).callsFake(counted(elbv2, 'DescribeTargetGroups', () => ({})))

  dynamodb.on(ListTablesCommand).callsFake(
    counted(dynamodb, 'ListTables', (input) => {
      const start = input.ExclusiveStartTableName ? Number(input.ExclusiveStartTableName.split('@')[1]) : 0
      const {items, next} = listed('table', start, Math.min(input.Limit, 100), variety)
      return {TableNames: items.map(([arn]) => idOf(arn)), LastEvaluatedTableName: next ? `${idOf(items.at(-1)[0])}@${next}` : undefined}
    }),
  )
  dynamodb.on(ListTagsOfResourceCommand).callsFake(counted(dynamodb, 'ListTagsOfResource', () => ({Tags: []})))
  logs.on(DescribeLogGroupsCommand).callsFake(
    counted(logs, 'DescribeLogGroups', (input) => {
      const {items, next} = listed('log-group', Number(input.nextToken ?? 0), Math.min(input.limit, 50), variety)
      return {logGroups: items.map(([arn]) => ({logGroupName: arn.split(':log-group:')[1], arn: flat(arn, ':*'), logGroupArn: arn})), nextToken: next}
    }),
  )
  logs.on(ListTagsForResourceCommand).callsFake(counted(logs, 'ListTagsForResource', () => ({tags: {}})))
  s3.on(ListBucketsCommand).callsFake(
    counted(s3, 'ListBuckets', (input) => {
      const {items, next} = listed('bucket', Number(input.ContinuationToken ?? 0), Math.min(input.MaxBuckets, 1000), variety)
      return {Buckets: items.map(([arn]) => ({Name: arn.slice('arn:aws:s3:::'.length), BucketRegion: REGION})), ContinuationToken: next}
    }),
  )
  s3.on(GetBucketTaggingCommand).callsFake(
    counted(s3, 'GetBucketTagging', () => {
      throw Object.assign(new Error('The TagSet does not exist'), {name: 'NoSuchTagSet', $metadata: {httpStatusCode: 404}})
    }),
  )
  return {mocks, counts}
}

/** One audit in this process: requests by kind, the audit's figures, wall and CPU time, RSS before it and the process's peak. */
export async function auditInThisProcess(repoRoot, variety) {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-bench-tags-'))
  const configPath = join(dir, 'fintech.config.yaml')
  writeFileSync(configPath, readFileSync(join(repoRoot, 'fintech.config.yaml'), 'utf8'))
  const saved = {audit: process.env.FINTECH_AUDIT_LOG, tps: process.env.FINTECH_TAGGING_TPS, exitCode: process.exitCode}
  process.env.FINTECH_AUDIT_LOG = join(dir, 'audit.jsonl')
  process.env.FINTECH_TAGGING_TPS = String(BENCH_TPS)
  const {mocks, counts} = installMocks(variety)
  let peakRss = 0
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss))
  try {
    const config = await Config.load(repoRoot)
    const {default: TagsAudit} = await import('../dist/commands/tags/audit.js')
    const baselineRss = process.memoryUsage().rss
    const sampler = setInterval(sample, 5)
    const cpu = process.cpuUsage()
    const started = performance.now()
    process.exitCode = undefined
    const {result, printed} = await runQuietly(() => TagsAudit.run(['--env', 'dev', '--region', REGION, '--config', configPath, '--json'], config))
    const wallMs = performance.now() - started
    const used = process.cpuUsage(cpu)
    clearInterval(sampler)
    sample()
    const exitCode = Number(process.exitCode ?? 0)
    const expected = {resources: SIZE.tagged + SIZE.neverTagged, nonCompliant: EXPECTED_NON_COMPLIANT}
    if (!result?.summary || exitCode !== 1 || result.summary.resources !== expected.resources || result.summary.nonCompliant !== expected.nonCompliant) {
      throw new Error(
        `tags audit exited ${exitCode} with ${JSON.stringify(result?.summary)}; expected ${JSON.stringify(expected)} and exit 1\n${printed.trim().slice(-3000)}`,
      )
    }
    const reportedPages = result.sources.find((source) => source.source === 'tagging-api').requests
    return {
      variety,
      size: SIZE,
      tps: BENCH_TPS,
      pages: counts.get('GetResources') ?? 0,
      reportedPages,
      byCommand: Object.fromEntries(counts),
      summary: result.summary,
      pacedMs: result.pacing.waitedMs,
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      peakRssMb: peakRss / 2 ** 20,
      baselineRssMb: baselineRss / 2 ** 20,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }
  } finally {
    for (const mock of Object.values(mocks)) mock.restore()
    process.exitCode = saved.exitCode
    for (const [name, value] of [
      ['FINTECH_AUDIT_LOG', saved.audit],
      ['FINTECH_TAGGING_TPS', saved.tps],
    ]) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    rmSync(dir, {recursive: true, force: true})
  }
}

/**
 * Runs the audit in a fresh node process, so its peak RSS is that of one audit and not of the
 * bench sections before it. `variety`: 'stacks' (tags from 60 stacks) or 'unique' (no two alike);
 * `nodeFlags` for the child, e.g. a cap on V8's old generation; `compileCache`, a folder for Node's
 * compile cache, which bin/run.js turns on for every run a user makes (Node 22+).
 * @returns {Promise<{variety: string, size: typeof SIZE, tps: number, pages: number, reportedPages: number, byCommand: Record<string, number>, summary: object, pacedMs: number, wallMs: number, cpuMs: number, peakRssMb: number, baselineRssMb: number, maxRssMb: number}>}
 *   Throws when the audit fails or its figures are not the mocked account's.
 */
export async function measureTagsAudit(repoRoot, variety = 'stacks', nodeFlags = [], compileCache = '') {
  const child = spawnSync(process.execPath, [...nodeFlags, fileURLToPath(new URL('tags-audit-child.js', import.meta.url)), repoRoot, variety, compileCache], {cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 2 ** 20})
  if (child.status !== 0) throw new Error(`bench/tags-audit-child.js exited ${child.status}: ${child.stderr.trim().slice(-3000)}`)
  return JSON.parse(child.stdout)
}
