import type {RunbookAws} from '../core/runbook/engine.js'
import {InputError} from '../core/errors.js'
import {createClient, type AwsTarget} from './clients.js'

type Module = Record<string, unknown>
type SdkClient = ReturnType<typeof createClient> & {send(command: unknown, options?: {abortSignal?: AbortSignal}): Promise<Record<string, unknown>>}

/**
 * The services runbook steps may call, under the names SSM Automation and boto3 use for them,
 * each with its SDK package (imported only when a step calls it) and client class.
 */
const SERVICES: Record<string, {load: () => Promise<Module>; client: string}> = {
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
  s3: {load: () => import('@aws-sdk/client-s3'), client: 'S3Client'},
  secretsmanager: {load: () => import('@aws-sdk/client-secrets-manager'), client: 'SecretsManagerClient'},
  ssm: {load: () => import('@aws-sdk/client-ssm'), client: 'SSMClient'},
  sts: {load: () => import('@aws-sdk/client-sts'), client: 'STSClient'},
}

export const RUNBOOK_SERVICES = Object.keys(SERVICES)

/** The steps whose service fintech cannot call or whose API the SDK does not have, each said where it is written. */
export async function unknownApis(steps: Array<{service: string; api: string; where: string}>): Promise<string[]> {
  const problems: string[] = []
  for (const {service, api, where} of steps) {
    const known = SERVICES[service]
    if (!known) problems.push(`${where}: no service ${service} (services: ${RUNBOOK_SERVICES.join(', ')})`)
    else if (!(`${api}Command` in (await known.load()))) problems.push(`${where}: ${service} has no API ${api}`)
  }
  return problems
}

/**
 * Calls `api` of `service` with the step's parameters as the request (the API's own member
 * names, as in SSM's aws:executeAwsApi). One client per service for the whole run, so the
 * adaptive retry state is shared across steps. The response comes back without $metadata.
 */
export function createRunbookAws(target: AwsTarget): RunbookAws {
  const clients = new Map<string, Promise<{module: Module; client: SdkClient}>>()
  const open = (service: string) => {
    const known = SERVICES[service]
    if (!known) throw new InputError(`a runbook step calls service ${service}, which fintech cannot call (services: ${RUNBOOK_SERVICES.join(', ')})`)
    let opened = clients.get(service)
    if (!opened) {
      opened = known.load().then((module) => ({module, client: createClient(module[known.client] as new (config: object) => SdkClient, target)}))
      clients.set(service, opened)
    }
    return opened
  }
  return {
    async call(service, api, parameters, signal) {
      const {module, client} = await open(service)
      const Command = module[`${api}Command`] as (new (input: unknown) => unknown) | undefined
      if (!Command) throw new InputError(`${service} has no API ${api} (as the AWS SDK spells it, e.g. DescribeDBClusters)`)
      const {$metadata: _metadata, ...response} = await client.send(new Command(parameters), {abortSignal: signal})
      return response
    },
  }
}
