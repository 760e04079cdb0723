import type {ApiModels, InputShape} from '../core/runbook/api-check.js'

export type SdkModule = Record<string, unknown>

/**
 * The services runbook steps may call, under the names SSM Automation and boto3 use for them,
 * each with its SDK package (imported only when a step calls it) and client class.
 */
export const SDK_SERVICES: Record<string, {load: () => Promise<SdkModule>; client: string}> = {
  'application-autoscaling': {load: () => import('@aws-sdk/client-application-auto-scaling'), client: 'ApplicationAutoScalingClient'},
  autoscaling: {load: () => import('@aws-sdk/client-auto-scaling'), client: 'AutoScalingClient'},
  cloudformation: {load: () => import('@aws-sdk/client-cloudformation'), client: 'CloudFormationClient'},
  cloudwatch: {load: () => import('@aws-sdk/client-cloudwatch'), client: 'CloudWatchClient'},
  dynamodb: {load: () => import('@aws-sdk/client-dynamodb'), client: 'DynamoDBClient'},
  ec2: {load: () => import('@aws-sdk/client-ec2'), client: 'EC2Client'},
  ecs: {load: () => import('@aws-sdk/client-ecs'), client: 'ECSClient'},
  elbv2: {load: () => import('@aws-sdk/client-elastic-load-balancing-v2'), client: 'ElasticLoadBalancingV2Client'},
  logs: {load: () => import('@aws-sdk/client-cloudwatch-logs'), client: 'CloudWatchLogsClient'},
  rds: {load: () => import('@aws-sdk/client-rds'), client: 'RDSClient'},
  route53: {load: () => import('@aws-sdk/client-route-53'), client: 'Route53Client'},
  s3: {load: () => import('@aws-sdk/client-s3'), client: 'S3Client'},
  secretsmanager: {load: () => import('@aws-sdk/client-secrets-manager'), client: 'SecretsManagerClient'},
  ssm: {load: () => import('@aws-sdk/client-ssm'), client: 'SSMClient'},
  sts: {load: () => import('@aws-sdk/client-sts'), client: 'STSClient'},
}

export const RUNBOOK_SERVICES = Object.keys(SDK_SERVICES)

/** The SDK's operation names: each has a `<Name>Command` class (`$Command` is the generic base, not an operation). */
export const sdkOperations = (module: SdkModule): string[] =>
  Object.keys(module)
    .filter((key) => /^[A-Z][A-Za-z0-9]*Command$/.test(key))
    .map((key) => key.slice(0, -'Command'.length))

/*
 * The SDK (v3.11xx, @smithy/core 3.x) ships each operation's model as static schema arrays: an
 * operation is [9, namespace, name, traits, input, output] and exported as `<Name>$`; a
 * structure (3), error (-3) or union (4) is [kind, namespace, name, traits, memberNames,
 * memberSchemas]; a list is [1, …, member], a map [2, …, key, value]; [0, …, schema] is a type
 * with traits; [schema, traits] a member; a function a reference not yet resolved; a number a
 * simple type, where 64–127 are lists and 128–255 maps of one. This is how @smithy/core's
 * NormalizedSchema reads them; reading them here keeps that package out of our dependencies.
 */
const deref = (ref: unknown): unknown => (typeof ref === 'function' ? (ref as () => unknown)() : ref)

function shapeOf(ref: unknown): InputShape {
  let schema = deref(ref)
  while (Array.isArray(schema) && schema.length === 2) schema = deref(schema[0])
  if (Array.isArray(schema) && schema[0] === 0) return shapeOf(schema[4])
  const value: InputShape = {kind: 'value'}
  if (typeof schema === 'number') {
    if (schema >= 64 && schema < 128) return {kind: 'list', item: () => value}
    if (schema >= 128 && schema <= 255) return {kind: 'map', item: () => value}
    return value
  }
  if (!Array.isArray(schema)) return value
  switch (schema[0]) {
    case 3:
    case -3:
    case 4: {
      const names = schema[4] as string[]
      const members = schema[5] as unknown[]
      return {kind: 'structure', names, member: (name) => shapeOf(members[names.indexOf(name)])}
    }
    case 1:
      return {kind: 'list', item: () => shapeOf(schema[4])}
    case 2:
      return {kind: 'map', item: () => shapeOf(schema[5])}
    default:
      return value
  }
}

/** The input of an operation from the SDK package's own model. */
export function sdkInput(module: SdkModule, service: string, api: string): InputShape {
  const operation = module[`${api}$`]
  if (!Array.isArray(operation) || operation[0] !== 9) throw new Error(`the AWS SDK package of ${service} has no model of ${api} that fintech can read (its schema format changed?)`)
  return shapeOf(operation[4])
}

/** The SDK's models, offline; each service's package is imported once, and only when a step calls it. */
export function sdkApiModels(): ApiModels {
  const modules = new Map<string, Promise<SdkModule>>()
  const load = (service: string) => {
    let module = modules.get(service)
    if (!module) {
      module = SDK_SERVICES[service]!.load()
      modules.set(service, module)
    }
    return module
  }
  return {
    services: RUNBOOK_SERVICES,
    operations: async (service) => sdkOperations(await load(service)),
    input: async (service, api) => sdkInput(await load(service), service, api),
  }
}
