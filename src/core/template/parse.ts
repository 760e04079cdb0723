import {createHash} from 'node:crypto'
import {FileError} from '../errors.js'
import {YamlTags, parseLocatedYaml, type KeyPath, type LocalTag, type Position} from '../yaml.js'

/** CloudFormation's short-form intrinsic functions, read as their long JSON form. */
const FUNCTIONS = [
  'Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split',
  'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'Contains', 'EachMemberEquals',
  'ValueOf', 'Length', 'ToJsonString',
]

function longForm(name: string, value: unknown): unknown {
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.')
    return {'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)]}
  }
  return {[`Fn::${name}`]: value}
}

export const cloudFormationTags = new YamlTags([
  {tag: '!Ref', kind: 'scalar', resolve: (value) => ({Ref: value})},
  {tag: '!Condition', kind: 'scalar', resolve: (value) => ({Condition: value})},
  ...FUNCTIONS.flatMap((name) =>
    (['scalar', 'sequence', 'mapping'] as const).map((kind): LocalTag => ({tag: `!${name}`, kind, resolve: (value) => longForm(name, value)})),
  ),
])

export interface TemplateParameter {
  type: string
  default?: string
  noEcho: boolean
  allowedValues?: string[]
  allowedPattern?: string
  minLength?: number
  maxLength?: number
  minValue?: number
  maxValue?: number
}

export interface TemplateResource {
  type: string
  properties: Record<string, unknown>
  metadata: Record<string, unknown>
  deletionPolicy?: string
  dependsOn: string[]
}

export interface Template {
  file: string
  body: string
  sha256: string
  sizeBytes: number
  description?: string
  parameters: Record<string, TemplateParameter>
  resources: Record<string, TemplateResource>
  outputs: string[]
  /** The whole parsed document, intrinsic functions in their long form. */
  document: Record<string, unknown>
  lineOf(path: KeyPath): number | undefined
  positionOf(path: KeyPath): Position | undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]

const numberOrUndefined = (value: unknown) => (value === undefined || value === null || Number.isNaN(Number(value)) ? undefined : Number(value))

const scalarText = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : Array.isArray(value) ? value.join(',') : String(value)

/** Reads a CloudFormation template (YAML or JSON) and checks the shape every template must have. */
export function parseTemplate(body: string, file: string): Template {
  const located = parseLocatedYaml(body, file, cloudFormationTags)
  const fail = (detail: string, path: KeyPath): never => {
    throw new FileError(file, detail, located.lineOf(path), path.join('.'))
  }
  const root = located.value
  if (!isRecord(root)) throw new FileError(file, 'a template must be a mapping with a Resources section', 1)
  if (!isRecord(root.Resources) || Object.keys(root.Resources).length === 0) {
    fail('a template needs at least one resource', ['Resources'])
  }

  const parameters: Record<string, TemplateParameter> = {}
  for (const [name, raw] of Object.entries(isRecord(root.Parameters) ? root.Parameters : {})) {
    if (!isRecord(raw) || typeof raw.Type !== 'string') fail('a parameter needs a Type', ['Parameters', name])
    const spec = raw as Record<string, unknown>
    parameters[name] = {
      type: String(spec.Type),
      default: scalarText(spec.Default),
      noEcho: spec.NoEcho === true || spec.NoEcho === 'true',
      allowedValues: Array.isArray(spec.AllowedValues) ? spec.AllowedValues.map(String) : undefined,
      allowedPattern: typeof spec.AllowedPattern === 'string' ? spec.AllowedPattern : undefined,
      minLength: numberOrUndefined(spec.MinLength),
      maxLength: numberOrUndefined(spec.MaxLength),
      minValue: numberOrUndefined(spec.MinValue),
      maxValue: numberOrUndefined(spec.MaxValue),
    }
  }

  const resources: Record<string, TemplateResource> = {}
  for (const [logicalId, raw] of Object.entries(root.Resources as Record<string, unknown>)) {
    if (!isRecord(raw) || typeof raw.Type !== 'string') fail('a resource needs a Type', ['Resources', logicalId])
    const spec = raw as Record<string, unknown>
    resources[logicalId] = {
      type: String(spec.Type),
      properties: isRecord(spec.Properties) ? spec.Properties : {},
      metadata: isRecord(spec.Metadata) ? spec.Metadata : {},
      deletionPolicy: typeof spec.DeletionPolicy === 'string' ? spec.DeletionPolicy : undefined,
      dependsOn: asList(spec.DependsOn),
    }
  }

  const sizeBytes = Buffer.byteLength(body, 'utf8')
  return {
    file,
    body,
    sha256: createHash('sha256').update(body).digest('hex'),
    sizeBytes,
    description: typeof root.Description === 'string' ? root.Description : undefined,
    parameters,
    resources,
    outputs: Object.keys(isRecord(root.Outputs) ? root.Outputs : {}),
    document: root,
    lineOf: located.lineOf,
    positionOf: located.positionOf,
  }
}
