import type {TemplateResource} from '../template/parse.js'

/**
 * Resource types whose replacement or removal loses data. A template resource can say
 * otherwise with `Metadata: {fintech: {stateful: true}}` (a custom resource that holds data)
 * or `{stateful: false, statelessReason: "..."}` (an EC2 instance that holds none).
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
  const marker = (resource?.metadata.fintech ?? {}) as {stateful?: unknown; statelessReason?: unknown}
  if (marker.stateful === true) return true
  // Opting a data-holding type out of the guards is reviewable only with a written reason.
  if (marker.stateful === false && typeof marker.statelessReason === 'string' && marker.statelessReason.trim() !== '') return false
  return STATEFUL_TYPES.has(resourceType)
}
