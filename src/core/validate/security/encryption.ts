import type {TemplateRule} from '../finding.js'
import {checkEnvironments, child, isRecord, isUnknown, items, ofType, requireSet, requireTrue, type EvaluatedResource, type Located, type Problem} from './evaluated.js'

/** Encryption at rest, one rule per service so a finding's id says which service is exposed. */

export const rdsStorageEncrypted: TemplateRule = {
  id: 'FT-SEC-001',
  severity: 'error',
  title: 'RDS storage encrypted',
  rationale: 'Ledger data and its snapshots must be unreadable without the KMS key, and RDS encryption cannot be turned on after creation.',
  check: (context) =>
    checkEnvironments(rdsStorageEncrypted, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::RDS::DBCluster', 'AWS::RDS::DBInstance')
        .filter((resource) => !inheritsEncryption(resource))
        .flatMap((resource) => requireTrue(resource, child(resource.properties, 'StorageEncrypted'), 'StorageEncrypted')),
    ),
}

/**
 * Aurora instances store nothing themselves (the cluster does), and restored or replicated
 * databases take their encryption from the source, where CloudFormation forbids setting it.
 */
function inheritsEncryption(resource: EvaluatedResource): boolean {
  const sources =
    resource.type === 'AWS::RDS::DBCluster'
      ? ['SnapshotIdentifier', 'SourceDBClusterIdentifier', 'ReplicationSourceIdentifier']
      : ['DBClusterIdentifier', 'SourceDBInstanceIdentifier', 'DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier']
  return sources.some((name) => child(resource.properties, name).value !== undefined)
}

export const dynamoDbEncrypted: TemplateRule = {
  id: 'FT-SEC-002',
  severity: 'error',
  title: 'DynamoDB tables encrypted with KMS',
  rationale: 'Without SSEEnabled DynamoDB uses an AWS-owned key that no CloudTrail entry or key policy of ours controls; KMS makes every read of session data auditable and revocable.',
  check: (context) =>
    checkEnvironments(dynamoDbEncrypted, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable').flatMap((resource) =>
        requireTrue(resource, child(resource.properties, 'SSESpecification', 'SSEEnabled'), 'SSESpecification.SSEEnabled'),
      ),
    ),
}

export const s3BucketEncrypted: TemplateRule = {
  id: 'FT-SEC-003',
  severity: 'error',
  title: 'S3 buckets declare default encryption',
  rationale: 'Left out, S3 falls back to SSE-S3, a key no policy of ours controls; the key protecting audit logs, backups and artifacts must be a choice reviewed in the template.',
  check: (context) =>
    checkEnvironments(s3BucketEncrypted, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::S3::Bucket').flatMap((resource): Problem[] => {
        const configuration = child(resource.properties, 'BucketEncryption', 'ServerSideEncryptionConfiguration')
        if (isUnknown(configuration.value)) return []
        const rules = items(configuration)
        const declaresAlgorithm = rules.some((rule) => {
          const algorithm = child(rule, 'ServerSideEncryptionByDefault', 'SSEAlgorithm').value
          return isUnknown(rule.value) || (algorithm !== undefined && algorithm !== '')
        })
        if (declaresAlgorithm) return []
        return [{
          resource: resource.id,
          path: configuration.path,
          message: `${resource.id}: BucketEncryption must declare a ServerSideEncryptionByDefault SSEAlgorithm (aws:kms or AES256)`,
        }]
      }),
    ),
}

export const ebsEncrypted: TemplateRule = {
  id: 'FT-SEC-004',
  severity: 'error',
  title: 'EBS volumes encrypted',
  rationale: 'The Redis tier keeps session and cache data (and RDB snapshots) on EBS; an unencrypted volume or its snapshot can be copied and read outside the platform.',
  check: (context) =>
    checkEnvironments(ebsEncrypted, context, 'every', (evaluation) => [
      ...ofType(evaluation, 'AWS::EC2::Volume').flatMap((resource) => requireTrue(resource, child(resource.properties, 'Encrypted'), 'Encrypted')),
      ...ofType(evaluation, 'AWS::EC2::Instance')
        // Launched from a launch template: its volumes are declared (and checked) there.
        .filter((instance) => child(instance.properties, 'LaunchTemplate').value === undefined)
        .flatMap((resource) => blockDevicesEncrypted(resource, child(resource.properties, 'BlockDeviceMappings'))),
      ...ofType(evaluation, 'AWS::AutoScaling::LaunchConfiguration').flatMap((resource) =>
        blockDevicesEncrypted(resource, child(resource.properties, 'BlockDeviceMappings')),
      ),
      ...ofType(evaluation, 'AWS::EC2::LaunchTemplate')
        .filter((resource) => !isUnknown(child(resource.properties, 'LaunchTemplateData').value))
        .flatMap((resource) => blockDevicesEncrypted(resource, child(resource.properties, 'LaunchTemplateData', 'BlockDeviceMappings'))),
    ]),
}

/**
 * Every EBS mapping must say Encrypted: true; instance-store and NoDevice mappings have no Ebs
 * and pass. With no EBS mapping at all the root volume comes from the AMI's snapshot, which
 * is unencrypted unless declared otherwise, so at least one encrypted Ebs mapping is required.
 */
function blockDevicesEncrypted(resource: EvaluatedResource, mappings: Located): Problem[] {
  if (isUnknown(mappings.value)) return []
  const list = items(mappings)
  if (list.some((mapping) => isUnknown(mapping.value))) return []
  const ebsMappings = list.filter((mapping) => isRecord(child(mapping, 'Ebs').value) || isUnknown(child(mapping, 'Ebs').value))
  if (ebsMappings.length === 0) {
    return [{
      resource: resource.id,
      path: mappings.path,
      message: `${resource.id}: BlockDeviceMappings must declare the root volume as an Ebs mapping with Encrypted: true (the AMI's root volume is unencrypted otherwise)`,
    }]
  }
  return ebsMappings.flatMap((mapping) => {
    const ebs = child(mapping, 'Ebs')
    if (!isRecord(ebs.value)) return []
    const device = child(mapping, 'DeviceName').value
    const name = typeof device === 'string' ? `Ebs.Encrypted of ${device}` : 'Ebs.Encrypted'
    return requireTrue(resource, child(ebs, 'Encrypted'), name)
  })
}

export const logGroupEncrypted: TemplateRule = {
  id: 'FT-SEC-005',
  severity: 'error',
  title: 'Log groups encrypted with KMS',
  rationale: 'Application and flow logs can carry account numbers and request data; a KMS key limits who can read them beyond logs:GetLogEvents.',
  check: (context) =>
    checkEnvironments(logGroupEncrypted, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::Logs::LogGroup').flatMap((resource) =>
        requireSet(resource, child(resource.properties, 'KmsKeyId'), 'KmsKeyId', 'the logs KMS key'),
      ),
    ),
}

export const snsTopicEncrypted: TemplateRule = {
  id: 'FT-SEC-006',
  severity: 'error',
  title: 'SNS topics encrypted with KMS',
  rationale: 'Alarm messages name resources and figures of a bank and wait in SNS until delivered; without KmsMasterKeyId they are stored unencrypted.',
  check: (context) =>
    checkEnvironments(snsTopicEncrypted, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::SNS::Topic').flatMap((resource): Problem[] => {
        const key = child(resource.properties, 'KmsMasterKeyId')
        if (!isAwsManagedSnsKey(key.value)) {
          return requireSet(resource, key, 'KmsMasterKeyId', 'a customer-managed key whose policy lets CloudWatch publish; alias/aws/sns would silence alarms')
        }
        return [{
          resource: resource.id,
          path: key.path,
          message: `${resource.id}: KmsMasterKeyId must be a customer-managed key, not the AWS-managed alias/aws/sns (its key policy cannot let CloudWatch publish, so alarms would be silenced)`,
        }]
      }),
    ),
}

/** `alias/aws/sns`, as an alias name or ARN, written literally or through Fn::Sub / Fn::Join. */
function isAwsManagedSnsKey(value: unknown): boolean {
  const endsWithAlias = (text: unknown): boolean => typeof text === 'string' && /(^|:)alias\/aws\/sns$/.test(text.trim())
  if (endsWithAlias(value)) return true
  if (!isRecord(value)) return false
  const sub = value['Fn::Sub']
  if (endsWithAlias(Array.isArray(sub) ? sub[0] : sub)) return true
  const join = value['Fn::Join']
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1] as unknown[]
    const last = parts[parts.length - 1]
    return typeof last === 'string' && (endsWithAlias(last) || endsWithAlias(`${join[0]}${last}`))
  }
  return false
}
