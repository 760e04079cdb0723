import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {PriceListApi} from '../../src/core/cost/api.js'
import {estimateEnvironment, type CostEstimate, type PricedItem} from '../../src/core/cost/estimate.js'
import {loadPriceSnapshot, PriceBook} from '../../src/core/cost/prices.js'
import {loadConfig} from '../../src/core/config/load.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {selectStages} from '../../src/core/stages/select.js'
import {makeProject} from '../helpers/project.js'

const REPO_CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
const snapshot = loadPriceSnapshot()
const HOURS = 730
const round = (amount: number) => Math.round(amount * 100) / 100
const round6 = (amount: number) => Math.round(amount * 1e6) / 1e6

async function bundled(env: string, stage = 'all', book?: PriceBook): Promise<CostEstimate> {
  const loaded = loadConfig(REPO_CONFIG)
  const plan = planEnvironment(loaded, resolveEnv(loaded, env), selectStages(loaded.config, stage))
  return estimateEnvironment(plan, book ?? new PriceBook(plan.env.region))
}

const itemsOf = (estimate: CostEstimate, stage: string): PricedItem[] => estimate.stages.find((candidate) => candidate.name === stage)!.stacks.flatMap((stack) => stack.items)
const notPricedOf = (estimate: CostEstimate, stage: string) => Object.fromEntries(estimate.stages.find((candidate) => candidate.name === stage)!.stacks.flatMap((stack) => stack.notPriced).map((entry) => [entry.logicalId, entry.reason]))

describe('price snapshot', () => {
  it('prices every instance type and class the bundled templates allow, in every region the config uses', () => {
    const redisTypes = ['t4g.small', 't4g.medium', 't4g.large', 'r7g.medium', 'r7g.large', 'r7g.xlarge']
    const auroraClasses = ['db.t4g.medium', 'db.t4g.large', 'db.r7g.large', 'db.r7g.xlarge', 'db.r7g.2xlarge', 'db.r7g.4xlarge']
    for (const region of ['eu-west-1', 'us-east-1']) {
      const prices = snapshot.regions[region]!
      for (const type of redisTypes) {
        expect(prices.ec2[type], `${region} ${type}`).toBeGreaterThan(0)
        const cacheNode = snapshot.elasticacheEquivalent.nodes[type]!
        expect(prices['elasticache-redis'][cacheNode], `${region} ${cacheNode}`).toBeGreaterThan(prices.ec2[type]!)
      }
      for (const instanceClass of auroraClasses) expect(prices['aurora-postgresql'][instanceClass], `${region} ${instanceClass}`).toBeGreaterThan(0)
    }
    expect(snapshot).toMatchObject({snapshot: '2026-11', currency: 'USD', hoursPerMonth: HOURS})
  })
})

describe('cost estimate of the bundled templates', () => {
  it('prices prod: two Aurora r7g.xlarge, three r7g.large Redis nodes with gp3, a NAT per AZ, endpoints in three AZs, six 1-vCPU tasks', async () => {
    const estimate = await bundled('prod')
    const eu = snapshot.regions['eu-west-1']!
    const data = estimate.stages.find((stage) => stage.name === 'data')!.stacks.find((stack) => stack.stackName === 'fintech-prod-data')!.items
    expect(data.filter((item) => item.type === 'AWS::RDS::DBInstance').map((item) => [item.logicalId, item.description, item.monthlyUsd])).toEqual([
      ['AuroraWriter', '1 × db.r7g.xlarge Aurora PostgreSQL instance', round(0.604 * HOURS)],
      ['AuroraReader1', '1 × db.r7g.xlarge Aurora PostgreSQL instance', round(0.604 * HOURS)],
    ])
    expect(data.filter((item) => item.logicalId === 'RedisPrimary')).toEqual([
      {logicalId: 'RedisPrimary', type: 'AWS::EC2::Instance', description: '1 × r7g.large instance (Linux)', quantity: 1, unit: 'hour', unitPriceUsd: eu.ec2['r7g.large'], monthlyUsd: round(0.1198 * HOURS), source: 'snapshot'},
      {logicalId: 'RedisPrimary', type: 'AWS::EC2::Instance', description: '100 GiB gp3', quantity: 100, unit: 'GB-month', unitPriceUsd: 0.088, monthlyUsd: 8.8, source: 'snapshot'},
    ])
    const networking = estimate.stages.find((stage) => stage.name === 'networking')!.stacks.find((stack) => stack.stackName === 'fintech-prod-networking')!.items
    expect(networking.filter((item) => item.type === 'AWS::EC2::NatGateway')).toHaveLength(3)
    expect(networking.filter((item) => item.type === 'AWS::EC2::VPCEndpoint').map((item) => item.quantity)).toEqual([3, 3, 3, 3, 3, 3, 3])
    const compute = estimate.stages.find((stage) => stage.name === 'compute')!.stacks.find((stack) => stack.stackName === 'fintech-prod-compute')!.items
    const service = compute.find((item) => item.type === 'AWS::ECS::Service')!
    expect(service).toMatchObject({description: '6 × Fargate task of 1 vCPU, 2 GB (desired count)', quantity: 6, unitPriceUsd: 0.04937, monthlyUsd: round(6 * 0.04937 * HOURS)})
    expect(service.note).toBeUndefined()
    // WAF is on in prod: the web ACL and its five rules.
    expect(compute.filter((item) => item.type === 'AWS::WAFv2::WebACL').map((item) => item.monthlyUsd)).toEqual([5, 5])
    const total = estimate.stages.reduce((sum, stage) => sum + stage.monthlyUsd, 0)
    expect(estimate.monthlyUsd).toBe(round(total))
    expect(estimate).toMatchObject({env: 'prod', region: 'eu-west-1', currency: 'USD', hoursPerMonth: HOURS, prices: 'snapshot 2026-11', warnings: []})
  })

  it('prices prod\'s recovery-region stacks at the recovery region\'s prices: the Aurora secondary\'s two instances, a NAT per AZ, the one-task standby', async () => {
    const estimate = await bundled('prod')
    const stacks = estimate.stages.flatMap((stage) => stage.stacks)
    expect(stacks.filter((stack) => stack.region === 'us-east-1').map((stack) => stack.stackName)).toEqual([
      'fintech-prod-foundation-recovery',
      'fintech-prod-networking-recovery',
      'fintech-prod-data-recovery',
      'fintech-prod-compute-recovery',
    ])
    const us = snapshot.regions['us-east-1']!
    const standby = stacks.find((stack) => stack.stackName === 'fintech-prod-compute-recovery')!.items
    expect(standby.find((item) => item.type === 'AWS::ECS::Service')).toMatchObject({
      description: '1 × Fargate task of 1 vCPU, 2 GB (desired count)',
      quantity: 1,
      unitPriceUsd: round6(us.fargate.vcpuHour + 2 * us.fargate.gbHour),
    })
    expect(standby.find((item) => item.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')!.unitPriceUsd).toBe(us.albHour)
    const secondary = stacks.find((stack) => stack.stackName === 'fintech-prod-data-recovery')!
    expect(secondary.items.map((item) => [item.logicalId, item.description, item.unitPriceUsd])).toEqual([
      ['AuroraInstance1', '1 × db.r7g.xlarge Aurora PostgreSQL instance', us['aurora-postgresql']['db.r7g.xlarge']],
      ['AuroraInstance2', '1 × db.r7g.xlarge Aurora PostgreSQL instance', us['aurora-postgresql']['db.r7g.xlarge']],
    ])
    const nats = stacks.find((stack) => stack.stackName === 'fintech-prod-networking-recovery')!.items.filter((item) => item.type === 'AWS::EC2::NatGateway')
    expect(nats.map((item) => item.unitPriceUsd)).toEqual([us.natGatewayHour, us.natGatewayHour, us.natGatewayHour])
    expect(us.natGatewayHour).not.toBe(snapshot.regions['eu-west-1']!.natGatewayHour)
    expect(estimate.warnings).toEqual([])
  })

  it('prices dev smaller: one NAT, endpoints in one AZ, one writer, Spot noted, no WAF', async () => {
    const estimate = await bundled('dev')
    expect(itemsOf(estimate, 'networking').filter((item) => item.type === 'AWS::EC2::NatGateway').map((item) => item.logicalId)).toEqual(['NatGateway1'])
    expect(itemsOf(estimate, 'networking').filter((item) => item.type === 'AWS::EC2::VPCEndpoint').every((item) => item.quantity === 1)).toBe(true)
    expect(itemsOf(estimate, 'data').filter((item) => item.type === 'AWS::RDS::DBInstance').map((item) => item.description)).toEqual(['1 × db.t4g.medium Aurora PostgreSQL instance'])
    const service = itemsOf(estimate, 'compute').find((item) => item.type === 'AWS::ECS::Service')!
    expect(service).toMatchObject({quantity: 1, monthlyUsd: round((0.5 * 0.04048 + 1 * 0.004445) * HOURS)})
    expect(service.note).toBe('3 of 4 weight on Fargate Spot, priced on-demand here (Spot costs up to 70% less)')
    expect(itemsOf(estimate, 'compute').some((item) => item.type === 'AWS::WAFv2::WebACL')).toBe(false)
    const networking = itemsOf(estimate, 'networking').reduce((sum, item) => sum + item.monthlyUsd, 0)
    expect(round(networking)).toBe(round(0.048 * HOURS + 0.005 * HOURS + 7 * 0.011 * HOURS))
  })

  it('lists what it does not price, saying why', async () => {
    const estimate = await bundled('dev')
    expect(notPricedOf(estimate, 'data')).toMatchObject({
      AuroraCluster: 'usage-based',
      SessionsTable: 'usage-based',
      RedisBackupBucket: 'usage-based',
      RedisLaunchTemplate: 'no charge (priced through the instances it launches)',
      AuroraSubnetGroup: 'no charge',
    })
    expect(notPricedOf(estimate, 'networking')).toMatchObject({Vpc: 'no charge', S3GatewayEndpoint: 'no charge (gateway endpoint)', VpcFlowLog: 'usage-based'})
    expect(notPricedOf(estimate, 'foundation')).toMatchObject({
      ThreatDetector: 'usage-based',
      SecurityHub: 'usage-based',
      PciDssStandard: 'usage-based',
      ConfigRecorder: 'usage-based',
      FintechConformancePack: 'usage-based',
      ConfigServiceLinkedRole: 'no charge',
      ConfigDeliveryChannel: 'no charge (Config bills the items it records and the rules it evaluates)',
    })
  })

  it('estimates one stage, and the management account\'s organization at its trail key', async () => {
    const data = await bundled('test', 'data')
    expect(data.stages.map((stage) => stage.name)).toEqual(['data'])
    const management = await bundled('management')
    expect(management.stages[0]!.stacks[0]!.items.map((item) => [item.logicalId, item.monthlyUsd])).toEqual([['OrganizationTrailKey', 1]])
    expect(management.monthlyUsd).toBe(1)
    expect(management.region).toBe('us-east-1')
  })
})

const CUSTOM = `Parameters:
  Size:
    Type: Number
    Default: 2
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        InstanceType: t4g.medium
        BlockDeviceMappings:
          - DeviceName: /dev/xvda
            Ebs: {VolumeSize: 30, VolumeType: gp2}
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      DesiredCapacity: !Ref Size
      MinSize: "1"
      MaxSize: "4"
      LaunchTemplate:
        LaunchTemplateId: !Ref Template
        Version: "1"
  Disk:
    Type: AWS::EC2::Volume
    Properties:
      Size: 50
      AvailabilityZone: eu-west-1a
  Unknown:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Sub '\${AWS::StackName}'
  Mysql:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t4g.medium
  Queue:
    Type: AWS::SQS::Queue
`

describe('cost estimate of other resources', () => {
  const customPlan = () => {
    const loaded = loadConfig(makeProject({'templates/vpc.yaml': CUSTOM, 'params/dev.yaml': '', 'params/prod.yaml': ''}))
    return planEnvironment(loaded, resolveEnv(loaded, 'dev'), selectStages(loaded.config, 'network'))
  }

  it('prices groups by desired capacity and launch template, volumes by type; says what is unknown offline', async () => {
    const estimate = await estimateEnvironment(customPlan(), new PriceBook('eu-west-1'))
    const [stack] = estimate.stages[0]!.stacks
    expect(stack!.items.map((item) => [item.logicalId, item.description, item.monthlyUsd])).toEqual([
      ['Group', '2 × t4g.medium instances (Linux, desired capacity)', round(2 * 0.0368 * HOURS)],
      ['Group', '2 × 30 GiB gp2', round(60 * 0.11)],
      ['Disk', '50 GiB gp2', round(50 * 0.11)],
    ])
    expect(Object.fromEntries(stack!.notPriced.map((entry) => [entry.logicalId, entry.reason]))).toEqual({
      Template: 'no charge (priced through the instances it launches)',
      Unknown: 'instance type not known offline',
      Mysql: 'no price in the snapshot for engine mysql',
      Queue: 'usage-based',
    })
  })

  it('asks the Price List API first with --online, once per type, and falls back to the snapshot with a warning', async () => {
    const asked: string[] = []
    const online: PriceListApi = {
      async onDemandHourly(family, type, region, location) {
        asked.push(`${family} ${type} ${region} ${location}`)
        if (type === 't4g.medium') return 0.05
        throw new Error('AccessDeniedException: not allowed')
      },
    }
    const book = new PriceBook('eu-west-1', snapshot, online)
    const estimate = await estimateEnvironment(customPlan(), book)
    const group = estimate.stages[0]!.stacks[0]!.items[0]!
    expect(group).toMatchObject({unitPriceUsd: 0.05, source: 'online', monthlyUsd: round(2 * 0.05 * HOURS)})
    expect(await book.instanceHour('ec2', 't4g.medium')).toEqual({usd: 0.05, source: 'online'})
    expect(await book.instanceHour('ec2', 'r7g.large')).toEqual({usd: 0.1198, source: 'snapshot'})
    expect(asked).toEqual(['ec2 t4g.medium eu-west-1 EU (Ireland)', 'ec2 r7g.large eu-west-1 EU (Ireland)'])
    expect(book.warnings).toEqual(['Price List API for r7g.large: AccessDeniedException: not allowed; used the snapshot'])
    expect(estimate.prices).toBe('Price List API (snapshot 2026-11 as fallback)')
  })

  it('prices nothing flat in a region the snapshot lacks, and says so', async () => {
    const estimate = await estimateEnvironment(customPlan(), new PriceBook('ap-southeast-2'))
    expect(estimate.monthlyUsd).toBe(0)
    expect(estimate.warnings).toEqual(['no price snapshot for ap-southeast-2: only instance prices from the Price List API (--online) can be used'])
    expect(estimate.stages[0]!.stacks[0]!.notPriced.find((entry) => entry.logicalId === 'Group')!.reason).toBe('no ec2 price for t4g.medium in ap-southeast-2')
  })
})
