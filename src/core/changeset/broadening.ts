import type {Template, TemplateResource} from '../template/parse.js'

/**
 * Permission-widening changes, found by comparing the deployed template with the new one
 * (a change set only says "PolicyDocument changed", not in which direction). A grant is
 * one Allow statement, one managed-policy attachment or one security-group rule, in a
 * canonical text form; grants present in the new template and absent from the old are
 * broadening.
 */

const POLICY_PROPERTIES: Record<string, string[]> = {
  'AWS::IAM::Role': ['AssumeRolePolicyDocument'],
  'AWS::IAM::Policy': ['PolicyDocument'],
  'AWS::IAM::ManagedPolicy': ['PolicyDocument'],
  'AWS::IAM::RolePolicy': ['PolicyDocument'],
  'AWS::S3::BucketPolicy': ['PolicyDocument'],
  'AWS::SQS::QueuePolicy': ['PolicyDocument'],
  'AWS::SNS::TopicPolicy': ['PolicyDocument'],
  'AWS::KMS::Key': ['KeyPolicy'],
  'AWS::SecretsManager::ResourcePolicy': ['ResourcePolicy'],
}

const SECURITY_GROUP_TYPES = new Set(['AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress'])

export const isPermissionType = (type: string): boolean =>
  type in POLICY_PROPERTIES || SECURITY_GROUP_TYPES.has(type) || type === 'AWS::Lambda::Permission' || type.startsWith('AWS::IAM::')

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function allowStatements(document: unknown): string[] {
  const statements = (document as {Statement?: unknown} | undefined)?.Statement
  const list = Array.isArray(statements) ? statements : statements ? [statements] : []
  return list.filter((statement) => (statement as {Effect?: unknown}).Effect !== 'Deny').map(canonical)
}

/** The grants one resource makes, each as a readable, comparable line. */
export function grantsOf(resource: TemplateResource): string[] {
  const {type, properties} = resource
  const grants: string[] = []
  for (const property of POLICY_PROPERTIES[type] ?? []) {
    grants.push(...allowStatements(properties[property]).map((statement) => `${property} allows ${statement}`))
  }
  if (type === 'AWS::IAM::Role' || type === 'AWS::IAM::User' || type === 'AWS::IAM::Group') {
    for (const inline of (properties.Policies as Array<{PolicyDocument?: unknown}> | undefined) ?? []) {
      grants.push(...allowStatements(inline.PolicyDocument).map((statement) => `inline policy allows ${statement}`))
    }
    for (const arn of (properties.ManagedPolicyArns as unknown[] | undefined) ?? []) {
      grants.push(`attaches managed policy ${canonical(arn)}`)
    }
  }
  if (type === 'AWS::EC2::SecurityGroup') {
    for (const rule of (properties.SecurityGroupIngress as unknown[] | undefined) ?? []) grants.push(`ingress ${canonical(rule)}`)
    for (const rule of (properties.SecurityGroupEgress as unknown[] | undefined) ?? []) grants.push(`egress ${canonical(rule)}`)
  }
  if (type === 'AWS::EC2::SecurityGroupIngress' || type === 'AWS::EC2::SecurityGroupEgress') {
    grants.push(`${type === 'AWS::EC2::SecurityGroupIngress' ? 'ingress' : 'egress'} ${canonical(properties)}`)
  }
  if (type === 'AWS::Lambda::Permission') grants.push(`invoke permission ${canonical(properties)}`)
  return grants
}

/** The grants a resource makes in `next` that it did not make in `previous`. */
export function broadeningOf(logicalId: string, next: Template, previous?: Template): string[] {
  const resource = next.resources[logicalId]
  if (!resource) return []
  const before = new Set(previous?.resources[logicalId] ? grantsOf(previous.resources[logicalId]) : [])
  return grantsOf(resource).filter((grant) => !before.has(grant))
}
