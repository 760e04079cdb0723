/**
 * `fintech tags audit|fix|activate` through the real src/aws adapters against an in-memory
 * account behind aws-sdk-client-mock: the Tagging API answers in pages and knows only
 * resources that carry or carried tags; the service listings know everything; writes change
 * the account, so a second audit sees them.
 */
import {CloudWatchLogsClient, DescribeLogGroupsCommand, ListTagsForResourceCommand, TagResourceCommand as LogsTagResource} from '@aws-sdk/client-cloudwatch-logs'
import {CostExplorerClient, ListCostAllocationTagsCommand, UpdateCostAllocationTagsStatusCommand} from '@aws-sdk/client-cost-explorer'
import {DynamoDBClient, ListTablesCommand} from '@aws-sdk/client-dynamodb'
import {
  CreateTagsCommand,
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
import {GetResourcesCommand, ResourceGroupsTaggingAPIClient, TagResourcesCommand} from '@aws-sdk/client-resource-groups-tagging-api'
import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {GetBucketTaggingCommand, ListBucketsCommand, PutBucketTaggingCommand} from '@aws-sdk/client-s3'
import {GetCallerIdentityCommand} from '@aws-sdk/client-sts'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import TagsActivate from '../../src/commands/tags/activate.js'
import TagsAudit from '../../src/commands/tags/audit.js'
import TagsFix from '../../src/commands/tags/fix.js'
import {cfn, resetAws, s3, sts} from '../helpers/aws-mocks.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const tagging = mockClient(ResourceGroupsTaggingAPIClient)
const ec2 = mockClient(EC2Client)
const rds = mockClient(RDSClient)
const ecs = mockClient(ECSClient)
const dynamodb = mockClient(DynamoDBClient)
const elbv2 = mockClient(ElasticLoadBalancingV2Client)
const logs = mockClient(CloudWatchLogsClient)
const ce = mockClient(CostExplorerClient)
const ownMocks: Array<{reset(): {onAnyCommand(): {rejects(error: Error): unknown}}; restore(): unknown}> = [tagging, ec2, rds, ecs, dynamodb, elbv2, logs, ce]
afterAll(() => {
  for (const mock of ownMocks) mock.restore()
  delete process.env.FINTECH_TAGGING_TPS
})

const DEV = '111111111111'
const REGION = 'eu-west-1'
const CONFIG = `project: fintech
requiredTags: [Environment, CostCenter, Owner, Service, DataClassification]
environments:
  management:
    account: "444444444444"
    region: us-east-1
    protected: true
    tags: {Environment: management, CostCenter: CC-1, Owner: platform, Service: org, DataClassification: internal}
  dev:
    account: "${DEV}"
    region: ${REGION}
    parameterFile: params/dev.yaml
    tags: {Environment: dev, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: internal}
  prod:
    account: "333333333333"
    region: ${REGION}
    protected: true
    parameterFile: params/prod.yaml
    tags: {Environment: prod, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: restricted}
tagging:
  allowedValues:
    Environment: [management, dev, test, prod]
    DataClassification: [public, internal, confidential, restricted]
  rules:
    - match: {resourceTypes: [logs]}
      set: {Service: logging}
    - match: {}
      set: {CostCenter: CC-0000, Owner: platform-engineering, Service: fintech-platform, DataClassification: confidential}
stages:
  - name: network
    stacks:
      - id: vpc
        template: templates/vpc.yaml
`
const GOOD = {Environment: 'dev', CostCenter: 'CC-1', Owner: 'payments', Service: 'ledger', DataClassification: 'internal'}
const STACK = 'fintech-dev-data'
const STACK_TAGS = {Environment: 'dev', CostCenter: 'CC-7', Owner: 'ledger-team', Service: 'ledger', DataClassification: 'confidential'}

type Tags = Record<string, string>
interface FakeResource {
  tags: Tags
  /** The Tagging API knows it (it carries, or once carried, tags). */
  everTagged: boolean
  region: string
}

const arnOf = {
  volume: (id: string, account = DEV) => `arn:aws:ec2:${REGION}:${account}:volume/${id}`,
  instance: (id: string) => `arn:aws:ec2:${REGION}:${DEV}:instance/${id}`,
  vpc: (id: string) => `arn:aws:ec2:${REGION}:${DEV}:vpc/${id}`,
  bucket: (name: string) => `arn:aws:s3:::${name}`,
  logGroup: (name: string) => `arn:aws:logs:${REGION}:${DEV}:log-group:${name}`,
}
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({Key, Value}))
const awsError = (name: string, message: string, status = 400) => Object.assign(new Error(message), {name, $fault: 'client', $metadata: {httpStatusCode: status}})

/**
 * Installs the in-memory account behind the mocks. `pageSize` is how many resources each
 * GetResources page holds (AWS may return fewer than asked); `refuseTagResources` are ARNs
 * whose TagResources fails in FailedResourcesMap; `refuseEverywhere` fail in the fallback too.
 */
function account(resources: Record<string, Omit<FakeResource, 'region'> & {region?: string}>, options: {pageSize?: number; refuseTagResources?: string[]; refuseEverywhere?: string[]; stacks?: Record<string, Tags>} = {}) {
  const state = new Map<string, FakeResource>(Object.entries(resources).map(([arn, resource]) => [arn, {region: REGION, ...resource}]))
  const pageSize = options.pageSize ?? 2
  const write = (arn: string, tags: Tags) => {
    const resource = state.get(arn)!
    Object.assign(resource.tags, tags)
    resource.everTagged = true
  }
  const unanswered = new Error('not mocked')
  for (const mock of ownMocks) mock.reset().onAnyCommand().rejects(unanswered)
  s3.reset().onAnyCommand().rejects(unanswered)
  cfn.reset().onAnyCommand().rejects(unanswered)

  tagging.on(GetResourcesCommand).callsFake(async (input, getClient) => {
    const region = await getClient().config.region()
    const known = [...state].filter(([, resource]) => resource.everTagged && resource.region === region)
    const start = Number(input.PaginationToken ?? 0)
    const next = start + pageSize < known.length ? String(start + pageSize) : undefined
    return {ResourceTagMappingList: known.slice(start, start + pageSize).map(([ResourceARN, resource]) => ({ResourceARN, Tags: tagList(resource.tags)})), PaginationToken: next ?? ''}
  })
  tagging.on(TagResourcesCommand).callsFake((input) => {
    const failed: Record<string, unknown> = {}
    for (const arn of input.ResourceARNList) {
      if (options.refuseTagResources?.includes(arn) || options.refuseEverywhere?.includes(arn)) failed[arn] = {StatusCode: 400, ErrorCode: 'InvalidParameterException', ErrorMessage: `cannot tag ${arn}`}
      else write(arn, input.Tags)
    }
    return {FailedResourcesMap: failed}
  })

  const byType = (type: string) => [...state].filter(([arn]) => arn.includes(`:${type}/`))
  const ec2Tags = ([, resource]: [string, FakeResource]) => tagList(resource.tags)
  const idOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1)
  ec2.on(DescribeInstancesCommand).callsFake(() => ({Reservations: [{OwnerId: DEV, Instances: byType('instance').map((entry) => ({InstanceId: idOf(entry[0]), Tags: ec2Tags(entry)}))}]}))
  ec2.on(DescribeVolumesCommand).callsFake(() => ({Volumes: byType('volume').map((entry) => ({VolumeId: idOf(entry[0]), Tags: ec2Tags(entry)}))}))
  ec2.on(DescribeVpcsCommand).callsFake(() => ({Vpcs: byType('vpc').map((entry) => ({VpcId: idOf(entry[0]), OwnerId: DEV, Tags: ec2Tags(entry)}))}))
  for (const command of [DescribeSubnetsCommand, DescribeSecurityGroupsCommand, DescribeRouteTablesCommand, DescribeInternetGatewaysCommand, DescribeNatGatewaysCommand]) ec2.on(command).resolves({})
  ec2.on(CreateTagsCommand).callsFake((input) => {
    const arns = input.Resources.map((id: string) => [...state.keys()].find((arn) => arn.endsWith(`/${id}`))!)
    const refused = arns.find((arn: string) => options.refuseEverywhere?.includes(arn))
    if (refused) throw awsError('UnauthorizedOperation', `You are not authorized to tag ${idOf(refused)}`)
    for (const arn of arns) write(arn, Object.fromEntries(input.Tags.map((tag: {Key: string; Value: string}) => [tag.Key, tag.Value])))
    return {}
  })
  rds.on(DescribeDBClustersCommand).resolves({})
  rds.on(DescribeDBInstancesCommand).resolves({})
  ecs.on(ListClustersCommand).resolves({})
  dynamodb.on(ListTablesCommand).resolves({})
  elbv2.on(DescribeLoadBalancersCommand).resolves({})
  elbv2.on(DescribeTargetGroupsCommand).resolves({})

  const buckets = () => [...state].filter(([arn]) => arn.startsWith('arn:aws:s3:::'))
  s3.on(ListBucketsCommand).callsFake(() => ({Buckets: buckets().map(([arn, resource]) => ({Name: arn.slice('arn:aws:s3:::'.length), BucketRegion: resource.region}))}))
  s3.on(GetBucketTaggingCommand).callsFake((input) => {
    const tags = state.get(arnOf.bucket(input.Bucket))!.tags
    if (Object.keys(tags).length === 0) throw awsError('NoSuchTagSet', 'The TagSet does not exist', 404)
    return {TagSet: tagList(tags)}
  })
  s3.on(PutBucketTaggingCommand).callsFake((input) => {
    const resource = state.get(arnOf.bucket(input.Bucket))!
    resource.tags = Object.fromEntries(input.Tagging.TagSet.map((tag: {Key: string; Value: string}) => [tag.Key, tag.Value]))
    resource.everTagged = true
    return {}
  })
  const groups = () => [...state].filter(([arn]) => arn.includes(':log-group:'))
  logs.on(DescribeLogGroupsCommand).callsFake(() => ({logGroups: groups().map(([arn]) => ({logGroupName: arn.split(':log-group:')[1], arn: `${arn}:*`}))}))
  logs.on(ListTagsForResourceCommand).callsFake((input) => ({tags: state.get(input.resourceArn)!.tags}))
  logs.on(LogsTagResource).callsFake((input) => (write(input.resourceArn, input.tags), {}))

  cfn.on(DescribeStacksCommand).callsFake((input) => {
    const stacks: Record<string, Tags> = options.stacks ?? {[STACK]: STACK_TAGS}
    const tags = stacks[input.StackName as string]
    if (!tags) throw awsError('ValidationError', `Stack with id ${input.StackName} does not exist`)
    return {Stacks: [{StackName: input.StackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Tags: tagList(tags)}]}
  })
  return state
}

let audit: ReturnType<typeof resetAws>
beforeEach(() => {
  audit = resetAws(DEV)
  // The pacing is tested on its own (test/core/tags.test.ts); here it must not slow the runs.
  process.env.FINTECH_TAGGING_TPS = '1000'
})

const project = (config = CONFIG) => makeProject({'fintech.config.yaml': config})
const auditRun = (...args: string[]) => runCli(TagsAudit, ['--env', 'dev', '--region', REGION, '--config', project(), ...args])
const fixRun = (...args: string[]) => runCli(TagsFix, ['--env', 'dev', '--region', REGION, '--config', project(), ...args])

/** A small dev account: compliant, invalid, never tagged, tagged only in part, in EC2, S3 and Logs. */
const mixedAccount = () =>
  account({
    [arnOf.volume('vol-ok')]: {tags: {...GOOD}, everTagged: true},
    [arnOf.instance('i-staging')]: {tags: {...GOOD, Environment: 'staging', 'aws:cloudformation:stack-name': STACK}, everTagged: true},
    [arnOf.vpc('vpc-new')]: {tags: {}, everTagged: false},
    [arnOf.bucket('reports')]: {tags: {}, everTagged: false},
    [arnOf.bucket('far-away')]: {tags: {}, everTagged: false, region: 'ap-southeast-2'},
    [arnOf.logGroup('/ecs/ledger')]: {tags: {...GOOD, Owner: 'ledger-team'}, everTagged: true},
    [arnOf.logGroup('/never/tagged')]: {tags: {}, everTagged: false},
  })

describe('tags audit', () => {
  it('finds never-tagged resources through the listings, merges by ARN, and exits 1 on any non-compliant one', async () => {
    mixedAccount()
    const run = await auditRun('--json')

    expect(run.exitCode).toBe(1)
    expect(run.json.summary).toEqual({resources: 6, compliant: 2, nonCompliant: 4, compliancePercent: 33.3, untagged: 3})
    expect(run.json.resources.map((resource: {arn: string}) => resource.arn)).toEqual(
      [arnOf.bucket('reports'), arnOf.instance('i-staging'), arnOf.logGroup('/never/tagged'), arnOf.vpc('vpc-new')].sort(),
    )
    const byArn = Object.fromEntries(run.json.resources.map((resource: {arn: string}) => [resource.arn, resource]))
    expect(byArn[arnOf.instance('i-staging')]).toEqual({
      arn: arnOf.instance('i-staging'),
      type: 'ec2:instance',
      region: REGION,
      owner: 'payments',
      compliant: false,
      issues: [{tag: 'Environment', problem: 'invalid', value: 'staging'}],
      tags: {...GOOD, Environment: 'staging'},
      untagged: false,
      foundBy: 'tagging-api',
    })
    expect(byArn[arnOf.bucket('reports')]).toMatchObject({type: 's3:bucket', owner: '(none)', foundBy: 's3', untagged: true})
    expect(byArn[arnOf.bucket('reports')].issues.map((issue: {tag: string; problem: string}) => `${issue.tag} ${issue.problem}`)).toEqual([
      'Environment missing',
      'CostCenter missing',
      'Owner missing',
      'Service missing',
      'DataClassification missing',
    ])
    expect(run.json.byOwner).toEqual([
      {owner: '(none)', resources: 3, compliant: 0, nonCompliant: 3, compliancePercent: 0},
      {owner: 'payments', resources: 2, compliant: 1, nonCompliant: 1, compliancePercent: 50},
      {owner: 'ledger-team', resources: 1, compliant: 1, nonCompliant: 0, compliancePercent: 100},
    ])
    expect(run.json).toMatchObject({env: 'dev', account: DEV, regions: [REGION], complete: true, gaps: [], listed: 'non-compliant', pacing: {requestsPerSecond: 1000}})
    // Three resources were tagged, two a page: two GetResources, the second with the first's token.
    expect(tagging.commandCalls(GetResourcesCommand).map((call) => call.args[0].input)).toEqual([{ResourcesPerPage: 100}, {ResourcesPerPage: 100, PaginationToken: '2'}])
    expect(run.json.sources.find((source: {source: string}) => source.source === 'tagging-api')).toEqual({source: 'tagging-api', region: REGION, requests: 2, resources: 3})
    // Tags the listings do not carry are read only for what the Tagging API did not return.
    expect(logs.commandCalls(ListTagsForResourceCommand).map((call) => call.args[0].input.resourceArn)).toEqual([arnOf.logGroup('/never/tagged')])
    expect(s3.commandCalls(GetBucketTaggingCommand).map((call) => call.args[0].input.Bucket)).toEqual(['reports'])
    expect(audit.auditLines()).toEqual([])
  })

  it('prints a table of the non-compliant resources, the figures and the sources', async () => {
    mixedAccount()
    const run = await auditRun()
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain(`Tag audit of dev: account ${DEV}, ${REGION}; required Environment, CostCenter, Owner, Service, DataClassification`)
    expect(run.stdout).toContain('6 resources: 2 compliant, 4 not — 33.3% compliant (3 carry no tags at all)')
    expect(run.stdout).toMatch(new RegExp(`${arnOf.instance('i-staging')}\\s+ec2:instance\\s+payments\\s+-\\s+Environment="staging"`))
    expect(run.stdout).toContain('By tag: Environment 3 missing, 1 invalid; CostCenter 3 missing; Owner 3 missing; Service 3 missing; DataClassification 3 missing')
    expect(run.stdout).toContain('Sources: Tagging API 2 requests')
    expect(run.stderr).toContain('Tagging API paced at 1000 requests/s per region (FINTECH_TAGGING_TPS)')
  })

  it('writes CSV per resource (the required tags as columns) or per owner', async () => {
    mixedAccount()
    const perResource = await auditRun('--format', 'csv')
    const lines = perResource.stdout.trim().split('\n')
    expect(lines[0]).toBe('arn,type,region,owner,compliant,issues,Environment,CostCenter,Owner,Service,DataClassification')
    expect(lines).toContain(`${arnOf.instance('i-staging')},ec2:instance,${REGION},payments,false,Environment:invalid,staging,CC-1,payments,ledger,internal`)
    expect(lines).toHaveLength(5)
    expect(perResource.exitCode).toBe(1)

    mixedAccount()
    const perOwner = await auditRun('--format', 'csv', '--by', 'owner')
    expect(perOwner.stdout.trim().split('\n')).toEqual(['owner,resources,compliant,non_compliant,compliance_percent', '(none),3,0,3,0.0', 'payments,2,1,1,50.0', 'ledger-team,1,1,0,100.0'])
  })

  it('exits 0 when every resource is compliant', async () => {
    account({[arnOf.volume('vol-1')]: {tags: {...GOOD}, everTagged: true}, [arnOf.vpc('vpc-1')]: {tags: {...GOOD}, everTagged: false}})
    const run = await auditRun()
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('2 resources: 2 compliant, 0 not — 100.0% compliant')
    expect(run.stdout).toContain('Every resource carries every required tag with an allowed value.')
  })

  it('exits 3 when everything it saw is compliant but a source failed, naming the gap', async () => {
    account({[arnOf.volume('vol-1')]: {tags: {...GOOD}, everTagged: true}})
    logs.on(DescribeLogGroupsCommand).rejects(awsError('AccessDeniedException', 'User is not authorized to perform: logs:DescribeLogGroups'))
    const run = await auditRun()
    expect(run.exitCode).toBe(3)
    expect(run.stdout).toContain('INCOMPLETE: these sources failed')
    expect(run.stdout).toContain(`logs ${REGION}: AccessDeniedException: User is not authorized to perform: logs:DescribeLogGroups (grant the read permission to the caller)`)
  })

  it("covers the env's region and us-east-1 by default, each with its own Tagging API", async () => {
    account({[arnOf.volume('vol-1')]: {tags: {...GOOD}, everTagged: true}})
    const run = await runCli(TagsAudit, ['--env', 'dev', '--config', project(), '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json.regions).toEqual([REGION, 'us-east-1'])
    const regions = await Promise.all(tagging.commandCalls(GetResourcesCommand).map((call) => (call.thisValue as ResourceGroupsTaggingAPIClient).config.region()))
    expect(regions.sort()).toEqual(['eu-west-1', 'us-east-1'])
  })

  it('rejects bad input with exit 2 before any AWS call', async () => {
    mixedAccount()
    const unknownEnv = await runCli(TagsAudit, ['--env', 'staging', '--config', project()])
    expect(unknownEnv.exitCode).toBe(2)
    expect(unknownEnv.stderr).toContain('unknown environment "staging" (--env): use one of management, dev, prod')

    const badConfig = await runCli(TagsAudit, ['--env', 'dev', '--config', project(CONFIG.replace('requiredTags: [', 'requiredTags: {'))])
    expect(badConfig.exitCode).toBe(2)
    expect(badConfig.stderr).toContain('fintech.config.yaml')

    const badRegion = await auditRun('--region', 'Ireland')
    expect(badRegion.exitCode).toBe(2)
    expect(badRegion.stderr).toContain('--region Ireland: not an AWS region such as eu-west-1')

    process.env.FINTECH_TAGGING_TPS = 'fast'
    const badRate = await auditRun()
    expect(badRate.exitCode).toBe(2)
    expect(badRate.stderr).toContain('FINTECH_TAGGING_TPS=fast: give the Tagging API requests per second as a positive number')

    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0)
    expect(tagging.calls()).toHaveLength(0)
  })

  it('refuses credentials of another account before reading anything', async () => {
    mixedAccount()
    sts.on(GetCallerIdentityCommand).resolves({Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/eve', UserId: 'X'})
    const run = await auditRun()
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('refusing to act on dev: the credentials are for account 999999999999')
    expect(tagging.calls()).toHaveLength(0)
    expect(ec2.calls()).toHaveLength(0)
  })
})

describe('tags fix', () => {
  it('plans in a dry run and writes nothing', async () => {
    const state = mixedAccount()
    const run = await fixRun('--dry-run', '--json')
    expect(run.exitCode).toBe(0)
    expect(run.json.dryRun).toBe(true)
    expect(run.json.results).toBeUndefined()
    expect(run.json.summary).toEqual({planned: 3, tagged: 0, failed: 0, notRun: 0, unresolved: 0, batches: 0})
    expect(run.json.plan.resources.find((resource: {arn: string}) => resource.arn === arnOf.logGroup('/never/tagged')).changes).toEqual([
      {tag: 'Environment', new: 'dev', source: 'env:dev'},
      {tag: 'CostCenter', new: 'CC-0000', source: 'rule:2'},
      {tag: 'Owner', new: 'platform-engineering', source: 'rule:2'},
      {tag: 'Service', new: 'logging', source: 'rule:1'},
      {tag: 'DataClassification', new: 'confidential', source: 'rule:2'},
    ])
    // The invalid Environment is kept without --overwrite, with what would replace it.
    expect(run.json.plan.kept).toEqual([{arn: arnOf.instance('i-staging'), tag: 'Environment', value: 'staging', proposed: 'dev', source: `stack:${STACK}`}])
    expect(tagging.commandCalls(TagResourcesCommand)).toHaveLength(0)
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0)
    expect(state.get(arnOf.bucket('reports'))!.tags).toEqual({})
    expect(audit.auditLines()).toEqual([])
  })

  it('writes 20 ARNs a call, groups identical tag sets, and leaves the account compliant but for kept values', async () => {
    const volumes = Object.fromEntries(Array.from({length: 45}, (_, index) => [arnOf.volume(`vol-${String(index).padStart(2, '0')}`), {tags: {}, everTagged: false}]))
    const state = account({
      ...volumes,
      [arnOf.logGroup('/never/tagged')]: {tags: {}, everTagged: false},
      [arnOf.volume('vol-from-stack')]: {tags: {Environment: 'dev', 'aws:cloudformation:stack-name': STACK}, everTagged: true},
    })
    const run = await fixRun('--json')

    expect(run.exitCode).toBe(0)
    const calls = tagging.commandCalls(TagResourcesCommand).map((call) => call.args[0].input)
    const platform = {Environment: 'dev', CostCenter: 'CC-0000', Owner: 'platform-engineering', Service: 'fintech-platform', DataClassification: 'confidential'}
    // Groups in the order of their first resource by ARN: the 45 volumes, the stack's volume, the log group.
    expect(calls.map((call) => [call.ResourceARNList!.length, call.Tags])).toEqual([
      [20, platform],
      [20, platform],
      [5, platform],
      [1, {CostCenter: 'CC-7', DataClassification: 'confidential', Owner: 'ledger-team', Service: 'ledger'}],
      [1, {CostCenter: 'CC-0000', DataClassification: 'confidential', Environment: 'dev', Owner: 'platform-engineering', Service: 'logging'}],
    ])
    expect(run.json.summary).toEqual({planned: 47, tagged: 47, failed: 0, notRun: 0, unresolved: 0, batches: 5})
    expect(state.get(arnOf.volume('vol-from-stack'))!.tags).toEqual({...STACK_TAGS, 'aws:cloudformation:stack-name': STACK})
    expect(cfn.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input.StackName)).toEqual([STACK])
    const lines = audit.auditLines()
    expect(lines).toHaveLength(47)
    expect(lines.find((line) => line.resource === arnOf.volume('vol-from-stack'))).toMatchObject({
      env: 'dev',
      action: 'tags-fix',
      result: 'ok',
      detail: `CostCenter=CC-7 (stack:${STACK}), Owner=ledger-team (stack:${STACK}), Service=ledger (stack:${STACK}), DataClassification=confidential (stack:${STACK}) via TagResources`,
      caller: `arn:aws:sts::${DEV}:assumed-role/platform/alice`,
    })

    const after = await auditRun('--json')
    expect(after.exitCode).toBe(0)
    expect(after.json.summary.compliancePercent).toBe(100)
  })

  it("retries what TagResources refused through the service's own call, and exits 3 for what both refused", async () => {
    const state = account(
      {
        [arnOf.bucket('reports')]: {tags: {Name: 'reports'}, everTagged: true},
        [arnOf.volume('vol-1')]: {tags: {}, everTagged: false},
        [arnOf.volume('vol-locked')]: {tags: {}, everTagged: false},
      },
      {refuseTagResources: [arnOf.bucket('reports')], refuseEverywhere: [arnOf.volume('vol-locked')]},
    )
    const run = await fixRun('--json')

    expect(run.exitCode).toBe(3)
    // One TagResources call for all three (same tags), then the service's own call for the two it refused.
    expect(tagging.commandCalls(TagResourcesCommand)).toHaveLength(1)
    expect(run.json.results).toEqual([
      {arn: arnOf.volume('vol-1'), result: 'tagged', via: 'TagResources'},
      {
        arn: arnOf.volume('vol-locked'),
        result: 'failed',
        error: `TagResources: InvalidParameterException: cannot tag ${arnOf.volume('vol-locked')}; ec2:CreateTags: UnauthorizedOperation: You are not authorized to tag vol-locked`,
      },
      {arn: arnOf.bucket('reports'), result: 'tagged', via: 's3:PutBucketTagging'},
    ])
    // PutBucketTagging replaces the whole set: the Name tag in place survives.
    expect(state.get(arnOf.bucket('reports'))!.tags).toMatchObject({Name: 'reports', Owner: 'platform-engineering'})
    expect(state.get(arnOf.volume('vol-locked'))!.tags).toEqual({})
    expect(audit.auditLines().map((line) => [line.resource, line.result])).toEqual([
      [arnOf.volume('vol-1'), 'ok'],
      [arnOf.volume('vol-locked'), 'failed'],
      [arnOf.bucket('reports'), 'ok'],
    ])

    account({[arnOf.volume('vol-locked')]: {tags: {}, everTagged: false}}, {refuseEverywhere: [arnOf.volume('vol-locked')]})
    const text = await fixRun()
    expect(text.exitCode).toBe(3)
    expect(text.stdout).toContain('Tagged 0 resources in 1 TagResources call; 1 failed')
    expect(text.stdout).toContain(`FAILED ${arnOf.volume('vol-locked')}: TagResources: InvalidParameterException`)
  })

  it('replaces values in place only with --overwrite: bad ones from any source, valid ones only from the owning stack', async () => {
    const resources = () => ({
      [arnOf.instance('i-1')]: {tags: {...GOOD, Environment: 'staging', Owner: 'someone', 'aws:cloudformation:stack-name': STACK}, everTagged: true},
      [arnOf.volume('vol-1')]: {tags: {...GOOD, Owner: 'someone', DataClassification: 'secret'}, everTagged: true},
    })
    const state = account(resources())
    const kept = await fixRun('--json')
    expect(kept.exitCode).toBe(0)
    expect(tagging.commandCalls(TagResourcesCommand)).toHaveLength(0)
    expect(kept.json.plan.kept.map((entry: {arn: string; tag: string}) => `${entry.arn} ${entry.tag}`)).toEqual([
      `${arnOf.instance('i-1')} Environment`,
      `${arnOf.volume('vol-1')} DataClassification`,
    ])
    expect(state.get(arnOf.instance('i-1'))!.tags.Environment).toBe('staging')

    const overwritten = account(resources())
    const run = await fixRun('--overwrite', '--json')
    expect(run.exitCode).toBe(0)
    expect(tagging.commandCalls(TagResourcesCommand).map((call) => [call.args[0].input.ResourceARNList, call.args[0].input.Tags])).toEqual([
      [[arnOf.instance('i-1')], {Environment: 'dev', CostCenter: 'CC-7', Owner: 'ledger-team', DataClassification: 'confidential'}],
      [[arnOf.volume('vol-1')], {DataClassification: 'confidential'}],
    ])
    // The valid Owner of the volume has no stack behind it: a rule never replaces it.
    expect(overwritten.get(arnOf.volume('vol-1'))!.tags.Owner).toBe('someone')
    expect(overwritten.get(arnOf.instance('i-1'))!.tags).toMatchObject({Environment: 'dev', Owner: 'ledger-team'})
  })

  it('refuses a protected env without --yes when there is no terminal to type its name, before any AWS call', async () => {
    mixedAccount()
    sts.on(GetCallerIdentityCommand).resolves({Account: '333333333333', Arn: 'arn:aws:iam::333333333333:user/alice', UserId: 'X'})
    const run = await runCli(TagsFix, ['--env', 'prod', '--region', REGION, '--config', project()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('tags fix needs confirmation (prod is protected) and there is no terminal to ask: review with --dry-run, then re-run with --yes; nothing was changed')
    expect(sts.calls()).toHaveLength(0)
    expect(tagging.calls()).toHaveLength(0)
  })

  it('writes a protected env with --yes', async () => {
    account({[arnOf.volume('vol-1').replace(DEV, '333333333333')]: {tags: {}, everTagged: false}})
    ec2.on(DescribeVolumesCommand).resolves({Volumes: [{VolumeId: 'vol-1'}]})
    sts.on(GetCallerIdentityCommand).resolves({Account: '333333333333', Arn: 'arn:aws:iam::333333333333:user/alice', UserId: 'X'})
    const run = await runCli(TagsFix, ['--env', 'prod', '--region', REGION, '--config', project(), '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(tagging.commandCalls(TagResourcesCommand)[0]!.args[0].input).toEqual({
      ResourceARNList: [arnOf.volume('vol-1', '333333333333')],
      Tags: {Environment: 'prod', CostCenter: 'CC-0000', Owner: 'platform-engineering', Service: 'fintech-platform', DataClassification: 'confidential'},
    })
  })

  it('rejects a rule with a value that is not allowed, naming the config line, before any AWS call', async () => {
    mixedAccount()
    const config = CONFIG.replace('set: {Service: logging}', 'set: {Service: logging, DataClassification: secret}')
    const run = await runCli(TagsFix, ['--env', 'dev', '--config', project(config)])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/fintech\.config\.yaml:\d+: tagging\.rules\[0\]\.set\.DataClassification: "secret" is not an allowed value of DataClassification/)
    expect(sts.calls()).toHaveLength(0)
    expect(tagging.calls()).toHaveLength(0)
  })
})

describe('tags activate', () => {
  const MANAGEMENT = '444444444444'
  // The payer env (management) is protected: --yes stands for the typed confirmation (test/commands/protected.test.ts asks it).
  const activateRun = (...args: string[]) => runCli(TagsActivate, ['--config', project(), '--yes', ...args])
  beforeEach(() => {
    audit = resetAws(MANAGEMENT)
    ce.reset().onAnyCommand().rejects(new Error('not mocked'))
    ce.on(ListCostAllocationTagsCommand).resolves({
      CostAllocationTags: [
        {TagKey: 'Environment', Type: 'UserDefined', Status: 'Active'},
        {TagKey: 'CostCenter', Type: 'UserDefined', Status: 'Inactive', LastUsedDate: '2026-11-20T00:00:00Z'},
        {TagKey: 'Owner', Type: 'UserDefined', Status: 'Inactive'},
      ],
    })
    ce.on(UpdateCostAllocationTagsStatusCommand).resolves({Errors: []})
  })

  it('activates the inactive required tags in the payer account, leaving active ones alone', async () => {
    const run = await activateRun('--json')
    expect(run.exitCode).toBe(0)
    expect(ce.commandCalls(ListCostAllocationTagsCommand)[0]!.args[0].input).toEqual({
      TagKeys: ['Environment', 'CostCenter', 'Owner', 'Service', 'DataClassification'],
      Type: 'UserDefined',
      MaxResults: 1000,
    })
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand).map((call) => call.args[0].input)).toEqual([
      {CostAllocationTagsStatus: [{TagKey: 'CostCenter', Status: 'Active'}, {TagKey: 'Owner', Status: 'Active'}]},
    ])
    expect(await (ce.commandCalls(ListCostAllocationTagsCommand)[0]!.thisValue as CostExplorerClient).config.region()).toBe('us-east-1')
    expect(run.json).toMatchObject({env: 'management', account: MANAGEMENT, dryRun: false, requests: 2})
    expect(run.json.tags.map((tag: {key: string; result: string}) => `${tag.key} ${tag.result}`)).toEqual([
      'Environment already-active',
      'CostCenter activated',
      'Owner activated',
      'Service not-found',
      'DataClassification not-found',
    ])
    expect(audit.auditLines().map((line) => [line.env, line.action, line.resource, line.result])).toEqual([
      ['management', 'tags-activate', 'cost-allocation-tag:CostCenter', 'ok'],
      ['management', 'tags-activate', 'cost-allocation-tag:Owner', 'ok'],
    ])
  })

  it('says which keys billing has not seen yet', async () => {
    const run = await activateRun()
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/Service\s+NotFound\s+not found: billing has not seen this key yet/)
    expect(run.stdout).toContain('Keys not found appear in Cost Explorer about a day after a resource first carries them')
  })

  it('exits 3 when Cost Explorer refuses a key', async () => {
    ce.on(UpdateCostAllocationTagsStatusCommand).resolves({Errors: [{TagKey: 'Owner', Code: 'TagKeysNotFound', Message: 'not found'}]})
    const run = await activateRun('--json')
    expect(run.exitCode).toBe(3)
    expect(run.json.tags.find((tag: {key: string}) => tag.key === 'Owner')).toMatchObject({result: 'failed', error: 'TagKeysNotFound: not found'})
  })

  it('changes nothing in a dry run', async () => {
    const run = await activateRun('--dry-run', '--json')
    expect(run.exitCode).toBe(0)
    expect(ce.commandCalls(UpdateCostAllocationTagsStatusCommand)).toHaveLength(0)
    expect(audit.auditLines()).toEqual([])
  })

  it('refuses credentials that are not the payer account, and unknown envs', async () => {
    sts.on(GetCallerIdentityCommand).resolves({Account: DEV, Arn: `arn:aws:iam::${DEV}:user/alice`, UserId: 'X'})
    const wrong = await activateRun()
    expect(wrong.exitCode).toBe(2)
    expect(wrong.stderr).toContain(`refusing to act on management: the credentials are for account ${DEV}`)
    const unknown = await activateRun('--env', 'payer')
    expect(unknown.exitCode).toBe(2)
    expect(ce.calls()).toHaveLength(0)
  })
})
