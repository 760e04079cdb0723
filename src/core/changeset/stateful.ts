import type {TemplateResource} from '../template/parse.js'

/**
 * Resource types whose replacement or removal loses data. A template resource can say
 * otherwise with `Metadata: {fintech: {stateful: true|false}}` (an EC2 instance that holds
 * no data, or a custom resource that does).
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::RDS::GlobalCluster',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::EC2::Volume',
  'AWS::EC2::Instance',
  'AWS::EFS::FileSystem',
  'AWS::Logs::LogGroup',
  'AWS::SecretsManager::Secret',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::Backup::BackupVault',
])

export function isStateful(resourceType: string, resource?: TemplateResource): boolean {
  const declared = (resource?.metadata.fintech as {stateful?: unknown} | undefined)?.stateful
  if (typeof declared === 'boolean') return declared
  return STATEFUL_TYPES.has(resourceType)
}
