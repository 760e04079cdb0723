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
  if (verdicts.some((verdict) => verdict !== false && verdict !== 'bucket-only')) return []
  // The fix goes into the policy, so point there; the finding still belongs to (and is suppressed on) the bucket.
  const index = verdicts.indexOf('bucket-only')
  const policy = policies[Math.max(index, 0)]!
  const message =
    index >= 0
      ? `${bucket.id}: bucket policy ${policy.id} denies requests without TLS on the bucket only; its Resource must also cover the objects (the bucket ARN followed by /*)`
      : `${bucket.id}: bucket policy ${policy.id} has no Deny of s3:* for Principal '*' when aws:SecureTransport is false`
  return [{resource: bucket.id, path: child(policy.properties, 'PolicyDocument').path, message}]
}

/**
 * True when the policy has the TLS-only statement over the bucket's objects, 'bucket-only'
 * when that statement's Resource leaves the objects out, false when it plainly has none,
 * undefined when it cannot be read offline.
 */
function deniesInsecureTransport(document: unknown): boolean | 'bucket-only' | undefined {
  if (!isRecord(document)) return document === undefined ? false : undefined
  const statements = document.Statement
  if (isUnknown(statements)) return undefined
  const list = Array.isArray(statements) ? statements : [statements]
  if (list.some((statement) => isUnknown(statement))) return undefined
  const tlsDenies = list.filter(
    (statement): statement is Record<string, unknown> =>
      isRecord(statement) && statement.Effect === 'Deny' && coversAllS3Actions(statement.Action) && isAnyPrincipal(statement.Principal) && requiresTls(statement.Condition),
  )
  if (tlsDenies.length === 0) return false
  const coverage = tlsDenies.map((statement) => coversObjects(statement.Resource))
  if (coverage.includes(true)) return true
  return coverage.includes(undefined) ? undefined : 'bucket-only'
}

/**
 * Whether a statement's Resource reaches the objects: `*`, or an ARN ending in `/*`, written
 * literally, with Fn::Sub or as the last part of Fn::Join. Undefined when it cannot be read.
 */
function coversObjects(resource: unknown): boolean | undefined {
  const verdicts = asList(resource).map((item): boolean | undefined => {
    const endsWithObjects = (text: unknown) => typeof text === 'string' && (text.trim() === '*' || text.trim().endsWith('/*'))
    if (typeof item === 'string') return endsWithObjects(item)
    if (!isRecord(item)) return false
    if ('Fn::Sub' in item) {
      const sub = item['Fn::Sub']
      const text = Array.isArray(sub) ? sub[0] : sub
      return typeof text === 'string' ? endsWithObjects(text) : undefined
    }
    if ('Fn::Join' in item) {
      const join = item['Fn::Join']
      if (!Array.isArray(join) || !Array.isArray(join[1])) return undefined
      const parts = join[1] as unknown[]
      const last = parts[parts.length - 1]
      if (typeof last !== 'string') return undefined
      return endsWithObjects(last) || endsWithObjects(`${String(join[0])}${last}`)
    }
    // A Ref or GetAtt of the bucket gives its name or ARN, never its objects.
    if ('Ref' in item || 'Fn::GetAtt' in item) return false
    return undefined
  })
  if (verdicts.includes(true)) return true
  return verdicts.includes(undefined) ? undefined : false
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
