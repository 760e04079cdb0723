import type {TemplateRule} from '../finding.js'
import {
  checkEnvironments, child, isRecord, isTrue, isUnknown, ofType, referencedId, shown,
  type EvaluatedResource, type Evaluation, type Problem,
} from './evaluated.js'

const PUBLIC_ACCESS_FLAGS = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets']

export const s3PublicAccessBlocked: TemplateRule = {
  id: 'FT-SEC-012',
  severity: 'error',
  title: 'S3 public access blocked',
  rationale: 'No platform bucket serves the public (CloudFront reaches origins through the ALB); all four public-access-block switches stop a later ACL or policy from exposing audit logs or backups.',
  check: (context) =>
    checkEnvironments(s3PublicAccessBlocked, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::S3::Bucket').flatMap((bucket): Problem[] => {
        const block = child(bucket.properties, 'PublicAccessBlockConfiguration')
        if (isUnknown(block.value)) return []
        if (block.value === undefined) {
          return [{resource: bucket.id, path: block.path, message: `${bucket.id}: PublicAccessBlockConfiguration must set ${PUBLIC_ACCESS_FLAGS.join(', ')} to true (not set)`}]
        }
        // A flag set to something else is reported at its own line; missing ones together at the block.
        const flags = PUBLIC_ACCESS_FLAGS.map((name) => ({name, located: child(block, name)}))
        const wrong = flags.filter(({located}) => located.value !== undefined && !isTrue(located.value) && !isUnknown(located.value))
        const missing = flags.filter(({located}) => located.value === undefined)
        return [
          ...wrong.map(({name, located}) => ({resource: bucket.id, path: located.path, message: `${bucket.id}: PublicAccessBlockConfiguration.${name} must be true (${shown(located.value)})`})),
          ...(missing.length > 0
            ? [{resource: bucket.id, path: block.path, message: `${bucket.id}: PublicAccessBlockConfiguration must set ${missing.map(({name}) => name).join(', ')} to true (not set)`}]
            : []),
        ]
      }),
    ),
}

export const s3TlsOnly: TemplateRule = {
  id: 'FT-SEC-013',
  severity: 'error',
  title: 'S3 buckets refuse requests without TLS',
  rationale: 'Encryption at rest is moot if objects cross the network in clear: each bucket needs an AWS::S3::BucketPolicy (Bucket: !Ref it) with a Deny of s3:* for any principal when aws:SecureTransport is false.',
  check: (context) =>
    checkEnvironments(s3TlsOnly, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::S3::Bucket').flatMap((bucket) => tlsOnlyProblems(evaluation, bucket)),
    ),
}

function tlsOnlyProblems(evaluation: Evaluation, bucket: EvaluatedResource): Problem[] {
  const policies = ofType(evaluation, 'AWS::S3::BucketPolicy').filter((policy) => referencedId(child(policy.properties, 'Bucket').value) === bucket.id)
  if (policies.length === 0) {
    return [{resource: bucket.id, path: bucket.definition.path, message: `${bucket.id}: no AWS::S3::BucketPolicy with Bucket: !Ref ${bucket.id} denies requests without TLS`}]
  }
  const verdicts = policies.map((policy) => deniesInsecureTransport(child(policy.properties, 'PolicyDocument').value))
  if (verdicts.some((verdict) => verdict !== false)) return []
  // The fix goes into the policy, so point there; the finding still belongs to (and is suppressed on) the bucket.
  const policy = policies[0]!
  return [{
    resource: bucket.id,
    path: child(policy.properties, 'PolicyDocument').path,
    message: `${bucket.id}: bucket policy ${policy.id} has no Deny of s3:* for Principal '*' when aws:SecureTransport is false`,
  }]
}

/** True when the policy has the TLS-only statement, false when it plainly has not, undefined when it cannot be read offline. */
function deniesInsecureTransport(document: unknown): boolean | undefined {
  if (!isRecord(document)) return document === undefined ? false : undefined
  const statements = document.Statement
  if (isUnknown(statements)) return undefined
  const list = Array.isArray(statements) ? statements : [statements]
  if (list.some((statement) => isUnknown(statement))) return undefined
  return list.some((statement) =>
    isRecord(statement) && statement.Effect === 'Deny' && coversAllS3Actions(statement.Action) && isAnyPrincipal(statement.Principal) && requiresTls(statement.Condition),
  )
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value])

function coversAllS3Actions(action: unknown): boolean {
  return asList(action).some((item) => item === 's3:*' || item === '*')
}

function isAnyPrincipal(principal: unknown): boolean {
  return principal === '*' || (isRecord(principal) && asList(principal.AWS).includes('*'))
}

/** `Bool: {aws:SecureTransport: false}`; IAM condition keys are case-insensitive, and the value may be a string, a boolean or a list. */
function requiresTls(condition: unknown): boolean {
  if (!isRecord(condition) || !isRecord(condition.Bool)) return false
  return Object.entries(condition.Bool).some(
    ([key, value]) => key.toLowerCase() === 'aws:securetransport' && asList(value).every((item) => String(item).toLowerCase() === 'false'),
  )
}
