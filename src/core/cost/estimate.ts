import {evaluateForEnvironment, isPlaceholder} from '../template/evaluate.js'
import {environmentValues, type EnvironmentPlan, type StackJob} from '../stages/plan.js'
import type {InstanceFamily} from './api.js'
import type {HourlyPrice, PriceBook, RegionPrices} from './prices.js'

/** One charge of one resource: an instance's hours, its volume's GB-months, a key's month. */
export interface PricedItem {
  logicalId: string
  type: string
  description: string
  quantity: number
  unit: 'hour' | 'month' | 'GB-month'
  unitPriceUsd: number
  monthlyUsd: number
  source: 'snapshot' | 'online'
  note?: string
}

export interface UnpricedResource {
  logicalId: string
  type: string
  /** `no charge`, `usage-based`, or what is missing to price it. */
  reason: string
}

export interface StackEstimate {
  id: string
  stackName: string
  /** Where it runs, and so whose prices apply: the env's region or its recovery region. */
  region: string
  monthlyUsd: number
  items: PricedItem[]
  notPriced: UnpricedResource[]
}

export interface StageEstimate {
  name: string
  monthlyUsd: number
  stacks: StackEstimate[]
}

export interface CostEstimate {
  env: string
  region: string
  currency: 'USD'
  hoursPerMonth: number
  prices: string
  monthlyUsd: number
  stages: StageEstimate[]
  warnings: string[]
}

/** The reason of a type billed by use (requests, storage, data, I/O), and of any type the estimate does not know. */
const USAGE_BASED = 'usage-based'

/**
 * Why each type the shipped templates use, and the estimate does not price, is not priced:
 * no charge by itself (some are priced through what they launch), or billed by use.
 */
export const UNPRICED_TYPES: Record<string, string> = {
  'AWS::EC2::VPC': 'no charge',
  'AWS::EC2::Subnet': 'no charge',
  'AWS::EC2::RouteTable': 'no charge',
  'AWS::EC2::Route': 'no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'no charge',
  'AWS::EC2::InternetGateway': 'no charge',
  'AWS::EC2::VPCGatewayAttachment': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::EC2::LaunchTemplate': 'no charge (priced through the instances it launches)',
  'AWS::ECS::TaskDefinition': 'no charge (priced through the services that run it)',
  'AWS::ECS::Cluster': 'no charge',
  'AWS::IAM::Role': 'no charge',
  'AWS::IAM::Policy': 'no charge',
  'AWS::IAM::ManagedPolicy': 'no charge',
  'AWS::IAM::InstanceProfile': 'no charge',
  'AWS::IAM::ServiceLinkedRole': 'no charge',
  'AWS::Config::DeliveryChannel': 'no charge (Config bills the items it records and the rules it evaluates)',
  'AWS::KMS::Alias': 'no charge',
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::ElasticLoadBalancingV2::Listener': 'no charge',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'no charge',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'no charge',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'no charge',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'no charge',
  'AWS::RDS::DBSubnetGroup': 'no charge',
  'AWS::RDS::DBClusterParameterGroup': 'no charge',
  'AWS::RDS::DBParameterGroup': 'no charge',
  'AWS::Organizations::OrganizationalUnit': 'no charge',
  'AWS::WAFv2::WebACLAssociation': 'no charge',
  'AWS::Budgets::Budget': 'no charge (the first two budgets of an account are free)',
  'AWS::S3::Bucket': USAGE_BASED,
  'AWS::DynamoDB::Table': USAGE_BASED,
  'AWS::DynamoDB::GlobalTable': USAGE_BASED,
  'AWS::RDS::DBCluster': USAGE_BASED,
  'AWS::RDS::GlobalCluster': USAGE_BASED,
  'AWS::Logs::LogGroup': USAGE_BASED,
  'AWS::EC2::FlowLog': USAGE_BASED,
  'AWS::CloudTrail::Trail': USAGE_BASED,
  'AWS::Config::ConfigurationRecorder': USAGE_BASED,
  'AWS::Config::ConfigRule': USAGE_BASED,
  'AWS::Config::ConformancePack': USAGE_BASED,
  'AWS::GuardDuty::Detector': USAGE_BASED,
  'AWS::SecurityHub::Hub': USAGE_BASED,
  'AWS::SecurityHub::Standard': USAGE_BASED,
  'AWS::SNS::Topic': USAGE_BASED,
  'AWS::SNS::Subscription': USAGE_BASED,
  'AWS::Route53::RecordSet': USAGE_BASED,
  'AWS::Route53::HealthCheck': USAGE_BASED,
  'AWS::CloudFront::Distribution': USAGE_BASED,
  'AWS::Backup::BackupVault': USAGE_BASED,
  'AWS::Backup::BackupPlan': USAGE_BASED,
  'AWS::Backup::BackupSelection': USAGE_BASED,
  'AWS::Scheduler::Schedule': USAGE_BASED,
  'AWS::Scheduler::ScheduleGroup': USAGE_BASED,
  'AWS::SSM::Document': USAGE_BASED,
}

type Resource = {Type: string; Properties: Record<string, unknown>}
type Resources = Record<string, Resource>

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string | undefined => (typeof value === 'string' && !isPlaceholder(value) ? value : undefined)
const count = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value)
  return undefined
}
const refOf = (value: unknown): string | undefined => (isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined)
const cents = (amount: number) => Math.round(amount * 100) / 100

/** A stack's resources as its env deploys them: parameters, pseudo parameters and conditions resolved. */
export function evaluateJob(plan: EnvironmentPlan, job: StackJob): Resources {
  const evaluated = evaluateForEnvironment(job.template, environmentValues(plan, job))
  const resources: Resources = {}
  for (const [logicalId, definition] of Object.entries(evaluated)) {
    if (!isRecord(definition) || typeof definition.Type !== 'string') continue
    resources[logicalId] = {Type: definition.Type, Properties: isRecord(definition.Properties) ? definition.Properties : {}}
  }
  return resources
}

/** The launch template data an instance or group refers to in the same template. */
function launchTemplateData(properties: Record<string, unknown>, resources: Resources): Record<string, unknown> {
  const reference = isRecord(properties.LaunchTemplate) ? properties.LaunchTemplate : undefined
  const id = refOf(reference?.LaunchTemplateId) ?? refOf(reference?.LaunchTemplateName)
  const data = id ? resources[id]?.Properties.LaunchTemplateData : undefined
  return isRecord(data) ? data : {}
}

/** The instance type of an EC2 instance: its own, or its launch template's. */
export function instanceTypeOf(properties: Record<string, unknown>, resources: Resources): string | undefined {
  return text(properties.InstanceType) ?? text(launchTemplateData(properties, resources).InstanceType)
}

export interface VolumeSpec {
  sizeGiB: number
  volumeType: string
}

/** EBS volumes an instance launches with (its own mappings, or its launch template's); unsized ones are left out. */
export function volumesOf(properties: Record<string, unknown>, resources: Resources): VolumeSpec[] {
  const mappings = Array.isArray(properties.BlockDeviceMappings) ? properties.BlockDeviceMappings : launchTemplateData(properties, resources).BlockDeviceMappings
  if (!Array.isArray(mappings)) return []
  return mappings.flatMap((mapping): VolumeSpec[] => {
    const ebs = isRecord(mapping) && isRecord(mapping.Ebs) ? mapping.Ebs : undefined
    const sizeGiB = count(ebs?.VolumeSize)
    // Launch templates and instances default to the AMI's volume type; Amazon Linux 2023's is gp3.
    return ebs && sizeGiB !== undefined ? [{sizeGiB, volumeType: text(ebs.VolumeType) ?? 'gp3'}] : []
  })
}

interface PricingContext {
  book: PriceBook
  regional: RegionPrices | undefined
  resources: Resources
  logicalId: string
  type: string
}

type Priced = {items: PricedItem[]} | {reason: string}

function item(context: PricingContext, fields: Omit<PricedItem, 'logicalId' | 'type' | 'monthlyUsd' | 'source'> & {source?: 'snapshot' | 'online'}): PricedItem {
  const perMonth = fields.unit === 'hour' ? context.book.hoursPerMonth : 1
  return {
    logicalId: context.logicalId,
    type: context.type,
    ...fields,
    monthlyUsd: cents(fields.quantity * fields.unitPriceUsd * perMonth),
    source: fields.source ?? 'snapshot',
  }
}

async function instanceItem(context: PricingContext, family: InstanceFamily, instanceType: string, quantity: number, what: string): Promise<Priced> {
  const price: HourlyPrice | undefined = await context.book.instanceHour(family, instanceType)
  if (!price) return {reason: `no ${family} price for ${instanceType} in ${context.book.region}`}
  return {items: [item(context, {description: `${quantity} × ${instanceType} ${what}`, quantity, unit: 'hour', unitPriceUsd: price.usd, source: price.source})]}
}

function volumeItems(context: PricingContext, volumes: VolumeSpec[], copies: number): PricedItem[] {
  return volumes.flatMap((volume) => {
    const rate = context.regional?.ebsGbMonth[volume.volumeType]
    if (rate === undefined) return []
    const quantity = volume.sizeGiB * copies
    return [item(context, {description: `${copies > 1 ? `${copies} × ` : ''}${volume.sizeGiB} GiB ${volume.volumeType}`, quantity, unit: 'GB-month', unitPriceUsd: rate})]
  })
}

function flat(context: PricingContext, price: (regional: RegionPrices) => number, fields: {description: string; quantity: number; unit: 'hour' | 'month'; note?: string}): Priced {
  if (!context.regional) return {reason: `no price snapshot for ${context.book.region}`}
  return {items: [item(context, {...fields, unitPriceUsd: price(context.regional)})]}
}

const listLength = (value: unknown): number | undefined => (Array.isArray(value) ? value.length : undefined)

type PriceRule = (context: PricingContext, properties: Record<string, unknown>) => Priced | Promise<Priced>

/** How the estimate prices each type it bills by the hour or the month. */
const PRICE_RULES = {
  'AWS::EC2::Instance': async (context, properties) => {
    const {resources} = context
    const instanceType = instanceTypeOf(properties, resources)
    if (!instanceType) return {reason: 'instance type not known offline'}
    const priced = await instanceItem(context, 'ec2', instanceType, 1, 'instance (Linux)')
    return 'items' in priced ? {items: [...priced.items, ...volumeItems(context, volumesOf(properties, resources), 1)]} : priced
  },
  'AWS::AutoScaling::AutoScalingGroup': async (context, properties) => {
    const {resources} = context
    const size = count(properties.DesiredCapacity) ?? count(properties.MinSize)
    const instanceType = instanceTypeOf(properties, resources)
    if (size === undefined || !instanceType) return {reason: 'group size or instance type not known offline'}
    const priced = await instanceItem(context, 'ec2', instanceType, size, 'instances (Linux, desired capacity)')
    return 'items' in priced ? {items: [...priced.items, ...volumeItems(context, volumesOf(properties, resources), size)]} : priced
  },
  'AWS::RDS::DBInstance': (context, properties) => {
    const {resources} = context
    const cluster = refOf(properties.DBClusterIdentifier)
    const engine = text(properties.Engine) ?? (cluster ? text(resources[cluster]?.Properties.Engine) : undefined)
    const instanceClass = text(properties.DBInstanceClass)
    if (!instanceClass) return {reason: 'instance class not known offline'}
    if (engine !== 'aurora-postgresql') return {reason: `no price in the snapshot for engine ${engine ?? '(unknown)'}`}
    return instanceItem(context, 'aurora-postgresql', instanceClass, 1, 'Aurora PostgreSQL instance')
  },
  'AWS::ECS::Service': (context, properties) => {
    const {resources} = context
    const strategy = Array.isArray(properties.CapacityProviderStrategy) ? properties.CapacityProviderStrategy.filter(isRecord) : []
    const providers = strategy.map((entry) => text(entry.CapacityProvider))
    const onFargate = properties.LaunchType === 'FARGATE' || (providers.length > 0 && providers.every((provider) => provider?.startsWith('FARGATE')))
    if (!onFargate) return {reason: 'not a Fargate service (its EC2 capacity is priced where it is declared)'}
    const taskId = refOf(properties.TaskDefinition)
    const task = taskId ? resources[taskId]?.Properties : undefined
    const cpu = count(task?.Cpu)
    const memory = count(task?.Memory)
    const desired = count(properties.DesiredCount) ?? 1
    if (cpu === undefined || memory === undefined) return {reason: 'task CPU and memory not known offline'}
    if (!context.regional) return {reason: `no price snapshot for ${context.book.region}`}
    const vcpu = cpu / 1024
    const gb = memory / 1024
    const weights = strategy.map((entry) => ({provider: text(entry.CapacityProvider), weight: count(entry.Weight) ?? 0}))
    const spotWeight = weights.filter((entry) => entry.provider === 'FARGATE_SPOT').reduce((sum, entry) => sum + entry.weight, 0)
    const allWeight = weights.reduce((sum, entry) => sum + entry.weight, 0)
    return {
      items: [
        item(context, {
          description: `${desired} × Fargate task of ${vcpu} vCPU, ${gb} GB (desired count)`,
          quantity: desired,
          unit: 'hour',
          unitPriceUsd: Math.round((vcpu * context.regional.fargate.vcpuHour + gb * context.regional.fargate.gbHour) * 1e6) / 1e6,
          note: spotWeight > 0 ? `${spotWeight} of ${allWeight} weight on Fargate Spot, priced on-demand here (Spot costs up to 70% less)` : undefined,
        }),
      ],
    }
  },
  'AWS::EC2::NatGateway': (context) =>
    flat(context, (prices) => prices.natGatewayHour, {description: 'NAT gateway', quantity: 1, unit: 'hour', note: 'plus data processed per GB'}),
  'AWS::EC2::EIP': (context) =>
    flat(context, (prices) => prices.publicIpv4Hour, {description: 'public IPv4 address', quantity: 1, unit: 'hour'}),
  'AWS::ElasticLoadBalancingV2::LoadBalancer': (context, properties) => {
    const kind = text(properties.Type) ?? 'application'
    if (kind !== 'application') return {reason: `no price in the snapshot for ${kind} load balancers`}
    const subnets = listLength(properties.Subnets) ?? listLength(properties.SubnetMappings)
    const internetFacing = properties.Scheme === 'internet-facing'
    const priced = flat(context, (prices) => prices.albHour, {
      description: 'Application Load Balancer',
      quantity: 1,
      unit: 'hour',
      note: internetFacing && subnets === undefined ? 'plus LCUs (usage-based) and a public IPv4 address per AZ (subnets not known offline)' : 'plus LCUs (usage-based)',
    })
    if (!('items' in priced) || !internetFacing || subnets === undefined) return priced
    const addresses = flat(context, (prices) => prices.publicIpv4Hour, {description: `${subnets} public IPv4 addresses (one per subnet)`, quantity: subnets, unit: 'hour'})
    return {items: [...priced.items, ...('items' in addresses ? addresses.items : [])]}
  },
  'AWS::EC2::Volume': (context, properties) => {
    const size = count(properties.Size)
    if (size === undefined) return {reason: 'volume size not known offline'}
    const volumeType = text(properties.VolumeType) ?? 'gp2'
    const items = volumeItems(context, [{sizeGiB: size, volumeType}], 1)
    return items.length > 0 ? {items} : {reason: `no price in the snapshot for ${volumeType} volumes`}
  },
  'AWS::EC2::VPCEndpoint': (context, properties) => {
    if ((text(properties.VpcEndpointType) ?? 'Gateway') !== 'Interface') return {reason: 'no charge (gateway endpoint)'}
    const zones = listLength(properties.SubnetIds)
    if (zones === undefined) return {reason: 'subnets not known offline'}
    const service = text(properties.ServiceName)?.split('.').slice(3).join('.')
    return flat(context, (prices) => prices.interfaceEndpointHour, {
      description: `interface endpoint${service ? ` ${service}` : ''} in ${zones} AZ${zones === 1 ? '' : 's'}`,
      quantity: zones,
      unit: 'hour',
      note: 'plus data processed per GB',
    })
  },
  'AWS::EC2::TransitGatewayAttachment': (context) =>
    flat(context, (prices) => prices.transitGatewayAttachmentHour, {description: 'Transit Gateway attachment', quantity: 1, unit: 'hour', note: 'plus data processed per GB'}),
  'AWS::KMS::Key': (context) =>
    flat(context, (prices) => prices.kmsKeyMonth, {description: 'customer managed KMS key', quantity: 1, unit: 'month', note: 'plus requests'}),
  'AWS::SecretsManager::Secret': (context) =>
    flat(context, (prices) => prices.secretMonth, {description: 'Secrets Manager secret', quantity: 1, unit: 'month', note: 'plus API calls'}),
  'AWS::WAFv2::WebACL': (context, properties) => {
    const rules = listLength(properties.Rules) ?? 0
    const acl = flat(context, (prices) => prices.wafWebAclMonth, {description: 'WAF web ACL', quantity: 1, unit: 'month', note: 'plus requests'})
    if (!('items' in acl) || rules === 0) return acl
    const ruleItems = flat(context, (prices) => prices.wafRuleMonth, {description: `${rules} WAF rules`, quantity: rules, unit: 'month'})
    return {items: [...acl.items, ...('items' in ruleItems ? ruleItems.items : [])]}
  },
  'AWS::CloudWatch::Alarm': (context, properties) => {
    // A metric-math alarm is billed per metric it reads.
    const metrics = Array.isArray(properties.Metrics) ? properties.Metrics.filter((metric) => isRecord(metric) && metric.MetricStat !== undefined).length : 1
    return flat(context, (prices) => prices.alarmMetricMonth, {description: `alarm over ${Math.max(1, metrics)} metric${metrics > 1 ? 's' : ''}`, quantity: Math.max(1, metrics), unit: 'month'})
  },
  'AWS::CloudWatch::Dashboard': (context) =>
    flat(context, (prices) => prices.dashboardMonth, {description: 'CloudWatch dashboard', quantity: 1, unit: 'month', note: 'the first 3 dashboards of an account are free'}),
} satisfies Record<string, PriceRule>

/** Resource types the estimate prices by the hour or the month. */
export const PRICED_TYPES = Object.keys(PRICE_RULES) as Array<keyof typeof PRICE_RULES>

function priceResource(context: PricingContext, properties: Record<string, unknown>): Priced | Promise<Priced> {
  const rule: PriceRule | undefined = Object.hasOwn(PRICE_RULES, context.type) ? PRICE_RULES[context.type as keyof typeof PRICE_RULES] : undefined
  return rule ? rule(context, properties) : {reason: UNPRICED_TYPES[context.type] ?? USAGE_BASED}
}

export async function estimateStack(plan: EnvironmentPlan, job: StackJob, envBook: PriceBook): Promise<StackEstimate> {
  // The env's book may be for another region on purpose (--region); only a recovery-region stack switches.
  const book = job.region === plan.env.region ? envBook : envBook.inRegion(job.region)
  const resources = evaluateJob(plan, job)
  const items: PricedItem[] = []
  const notPriced: UnpricedResource[] = []
  for (const [logicalId, resource] of Object.entries(resources)) {
    const context: PricingContext = {book, regional: book.regional, resources, logicalId, type: resource.Type}
    const priced = await priceResource(context, resource.Properties)
    if ('items' in priced) items.push(...priced.items)
    else notPriced.push({logicalId, type: resource.Type, reason: priced.reason})
  }
  return {id: job.id, stackName: job.stackName, region: job.region, monthlyUsd: cents(items.reduce((sum, entry) => sum + entry.monthlyUsd, 0)), items, notPriced}
}

/**
 * The monthly cost of what the plan's stages would create in its env, at on-demand list
 * prices, 730 hours a month: instances, tasks, gateways, load balancers, volumes, endpoints,
 * keys, secrets, web ACLs, alarms, dashboards. What is billed by use (requests, storage,
 * data, I/O) is listed as not priced. No AWS call unless the price book is online.
 */
export async function estimateEnvironment(plan: EnvironmentPlan, book: PriceBook): Promise<CostEstimate> {
  const stages: StageEstimate[] = []
  for (const {stage, jobs} of plan.stages) {
    const stacks: StackEstimate[] = []
    for (const job of jobs) stacks.push(await estimateStack(plan, job, book))
    stages.push({name: stage.name, monthlyUsd: cents(stacks.reduce((sum, stack) => sum + stack.monthlyUsd, 0)), stacks})
  }
  return {
    env: plan.envName,
    region: book.region,
    currency: 'USD',
    hoursPerMonth: book.hoursPerMonth,
    prices: book.source,
    monthlyUsd: cents(stages.reduce((sum, stage) => sum + stage.monthlyUsd, 0)),
    stages,
    warnings: book.allWarnings,
  }
}
