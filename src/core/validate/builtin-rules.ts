import type {Template} from '../template/parse.js'
import {findingAt, type Finding, type RuleInfo} from './finding.js'
import type {ResourceSpec, SpecProperty, SpecType} from './resource-spec.js'

const rule = (id: string, severity: RuleInfo['severity'], title: string, rationale: string): RuleInfo => ({id, severity, title, rationale})

export const BUILTIN_RULES = {
  unknownType: rule('FT-TPL-001', 'error', 'Unknown resource type', 'CloudFormation rejects a type it does not know only when the stack is deployed.'),
  unknownProperty: rule('FT-TPL-002', 'error', 'Unknown property', 'A misspelt property is rejected at deploy time, after the change set was approved.'),
  wrongType: rule('FT-TPL-003', 'error', 'Property value of the wrong type', 'A list where a string belongs (or the reverse) fails at deploy time.'),
  missingRequired: rule('FT-TPL-004', 'error', 'Required property missing', 'CloudFormation refuses the resource without it.'),
  undefinedReference: rule('FT-TPL-005', 'error', 'Reference to an undefined name', 'Ref, GetAtt, Sub, DependsOn and Condition must name a parameter, resource or condition of the template.'),
  unknownAttribute: rule('FT-TPL-006', 'error', 'GetAtt of an attribute the type does not have', 'The stack fails when the attribute is resolved.'),
  unusedParameter: rule('FT-TPL-007', 'warning', 'Parameter never used', 'A parameter nothing reads is a setting that silently does nothing.'),
  inlineSize: rule('FT-TPL-008', 'warning', 'Template over 51,200 bytes', 'Too large to send inline: deploy uploads it to the artifact bucket.'),
  maximumSize: rule('FT-TPL-009', 'error', 'Template over 1 MB', 'CloudFormation refuses templates over 1,000,000 bytes even from S3.'),
} satisfies Record<string, RuleInfo>

const INLINE_LIMIT = 51_200
const MAXIMUM_SIZE = 1_000_000

type Path = Array<string | number>

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** `{Ref: …}`, `{Condition: …}` or `{'Fn::…': …}`: a value CloudFormation computes, whose type is not checked here. */
const isIntrinsic = (value: unknown): boolean => {
  if (!isRecord(value)) return false
  const keys = Object.keys(value)
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'))
}

/** Resource types the specification does not list but CloudFormation accepts. */
const isCustomType = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource' || !type.startsWith('AWS::')

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
])

/** Spec and structure checks of one template: types, properties, references, parameters, size. */
export function builtinFindings(template: Template, spec: ResourceSpec): Finding[] {
  const findings: Finding[] = []
  const report = (info: RuleInfo, path: Path, message: string, resource?: string) => findings.push(findingAt(info, template, path, message, resource))

  if (template.sizeBytes > MAXIMUM_SIZE) report(BUILTIN_RULES.maximumSize, [], `${template.sizeBytes} bytes; CloudFormation accepts at most ${MAXIMUM_SIZE}`)
  else if (template.sizeBytes > INLINE_LIMIT) report(BUILTIN_RULES.inlineSize, [], `${template.sizeBytes} bytes: deploy sends it through the artifact bucket`)

  for (const [logicalId, resource] of Object.entries(template.resources)) {
    const schema = spec.resource(resource.type)
    if (!schema) {
      if (!isCustomType(resource.type)) report(BUILTIN_RULES.unknownType, ['Resources', logicalId, 'Type'], `${resource.type} is not a CloudFormation resource type`, logicalId)
      continue
    }
    const at: Path = ['Resources', logicalId, 'Properties']
    for (const [name, property] of Object.entries(schema.properties)) {
      if (property.required && !(name in resource.properties)) {
        report(BUILTIN_RULES.missingRequired, Object.keys(resource.properties).length ? at : ['Resources', logicalId], `${resource.type} needs ${name}`, logicalId)
      }
    }
    checkProperties(resource.properties, schema.properties, at, resource.type, logicalId)
  }

  findings.push(...referenceFindings(template, spec))
  // One place named twice (`${X}-${X}` in a Sub) is one problem.
  const seen = new Set<string>()
  return findings.filter((finding) => {
    const key = `${finding.line}:${finding.column}:${finding.ruleId}:${finding.message}`
    return !seen.has(key) && Boolean(seen.add(key))
  })

  function checkProperties(values: Record<string, unknown>, schema: Record<string, SpecProperty>, path: Path, owner: string, logicalId: string) {
    for (const [name, value] of Object.entries(values)) {
      const property = schema[name]
      if (!property) {
        report(BUILTIN_RULES.unknownProperty, [...path, name], `${owner} has no property ${name}`, logicalId)
        continue
      }
      const types = [property.type, ...(property.previousTypes ?? [])]
      if (!types.some((type) => fits(value, type, [...path, name], logicalId, false))) {
        report(BUILTIN_RULES.wrongType, [...path, name], `${name} should be ${describe(property.type)}, not ${shapeOf(value)}`, logicalId)
        continue
      }
      // Report nested problems once, against the first type the value fits.
      const fitting = types.find((type) => fits(value, type, [...path, name], logicalId, false))!
      fits(value, fitting, [...path, name], logicalId, true)
    }
  }

  /** Whether `value` can be of `type`; with `report`, also checks inside objects and lists. */
  function fits(value: unknown, type: SpecType, path: Path, logicalId: string, reportNested: boolean): boolean {
    if (isIntrinsic(value)) return true
    switch (type.type) {
      case 'string':
      case 'date-time':
        return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      case 'number':
      case 'integer':
        return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false'
      case 'json':
        return isRecord(value) || typeof value === 'string'
      case 'null':
        return value === null
      case 'tag':
        return isRecord(value)
      case 'array':
        if (!Array.isArray(value)) return false
        if (reportNested) value.forEach((item, index) => nested(item, type.element, [...path, index], logicalId))
        return true
      case 'map':
        if (!isRecord(value)) return false
        if (reportNested) Object.entries(value).forEach(([key, item]) => nested(item, type.element, [...path, key], logicalId))
        return true
      case 'ref': {
        if (!isRecord(value)) return false
        if (reportNested) {
          const properties = spec.typeDefinition(type.reference.$ref)
          // Named after the property holding it: list indexes say nothing to the reader.
          if (properties) checkProperties(value, properties, path, String(path.findLast((key) => typeof key === 'string')), logicalId)
        }
        return true
      }
      case 'union': {
        const member = type.types.find((candidate) => fits(value, candidate, path, logicalId, false))
        if (member && reportNested) fits(value, member, path, logicalId, true)
        return member !== undefined
      }
    }
  }

  function nested(value: unknown, type: SpecType, path: Path, logicalId: string): boolean {
    if (!fits(value, type, path, logicalId, false)) {
      const name = typeof path.at(-1) === 'number' ? `${String(path.findLast((key) => typeof key === 'string'))}[${String(path.at(-1))}]` : String(path.at(-1))
      report(BUILTIN_RULES.wrongType, path, `${name} should be ${describe(type)}, not ${shapeOf(value)}`, logicalId)
      return false
    }
    return fits(value, type, path, logicalId, true)
  }
}

function describe(type: SpecType): string {
  switch (type.type) {
    case 'array':
      return `a list of ${describe(type.element)}s`
    case 'map':
      return 'a mapping'
    case 'ref':
    case 'tag':
    case 'json':
      return 'an object'
    case 'union':
      return type.types.map(describe).join(' or ')
    default:
      return `a ${type.type}`
  }
}

const shapeOf = (value: unknown) => (Array.isArray(value) ? 'a list' : isRecord(value) ? 'an object' : `${typeof value} ${JSON.stringify(value)}`)

/** Ref, GetAtt, Sub, DependsOn, Condition and Fn::If names, checked against what the template defines; and unused parameters. */
function referenceFindings(template: Template, spec: ResourceSpec): Finding[] {
  const findings: Finding[] = []
  const document = template.document
  const parameters = new Set(Object.keys(template.parameters))
  const resources = template.resources
  const conditions = new Set(Object.keys(isRecord(document.Conditions) ? document.Conditions : {}))
  const used = new Set<string>()
  const report = (info: RuleInfo, path: Path, message: string, resource?: string) => findings.push(findingAt(info, template, path, message, resource))

  const refName = (name: string, path: Path, resource?: string) => {
    used.add(name)
    if (!parameters.has(name) && !(name in resources) && !PSEUDO_PARAMETERS.has(name)) {
      report(BUILTIN_RULES.undefinedReference, path, `${name} is neither a parameter nor a resource of this template`, resource)
    }
  }

  const checkCondition = (name: string, path: Path, resource?: string) => {
    if (!conditions.has(name)) report(BUILTIN_RULES.undefinedReference, path, `${name} is not a condition of this template`, resource)
  }

  /**
   * `Condition` names a condition only on a resource or output, and inside condition logic
   * (the Conditions section, Fn::And/Or/Not); elsewhere it is an ordinary property, such as
   * an ECS container dependency's `Condition: SUCCESS`.
   */
  const walk = (value: unknown, path: Path, resource?: string, inConditionLogic = false): void => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, [...path, index], resource, inConditionLogic))
    if (!isRecord(value)) return
    for (const [key, inner] of Object.entries(value)) {
      const at = [...path, key]
      const namesCondition = inConditionLogic || (at.length === 3 && (at[0] === 'Resources' || at[0] === 'Outputs'))
      if (key === 'Ref' && typeof inner === 'string') refName(inner, at, resource)
      else if (key === 'Fn::GetAtt') checkGetAtt(inner, at, resource)
      else if (key === 'Fn::Sub') checkSub(inner, at, resource)
      else if (key === 'Condition' && typeof inner === 'string' && namesCondition) checkCondition(inner, at, resource)
      else if (key === 'Fn::If' && Array.isArray(inner) && typeof inner[0] === 'string') checkCondition(inner[0], at, resource)
      walk(inner, at, resource, inConditionLogic || key === 'Fn::And' || key === 'Fn::Or' || key === 'Fn::Not')
    }
  }

  const checkGetAtt = (value: unknown, path: Path, resource?: string) => {
    const [target, attribute] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\.(.*)/) : []
    if (typeof target !== 'string') return
    used.add(target)
    const targetResource = resources[target]
    if (!targetResource) return report(BUILTIN_RULES.undefinedReference, path, `${target} is not a resource of this template`, resource)
    const schema = spec.resource(targetResource.type)
    if (schema && typeof attribute === 'string' && !(attribute in schema.attributes) && !attribute.startsWith('Outputs.')) {
      report(BUILTIN_RULES.unknownAttribute, path, `${targetResource.type} has no attribute ${attribute}`, resource)
    }
  }

  const checkSub = (value: unknown, path: Path, resource?: string) => {
    const [text, variables] = Array.isArray(value) ? value : [value, {}]
    if (typeof text !== 'string') return
    const local = new Set(Object.keys(isRecord(variables) ? variables : {}))
    for (const [, name] of text.matchAll(/\$\{(?!!)([^}]+)\}/g)) {
      const base = name!.trim()
      if (local.has(base)) continue
      if (base.includes('.')) checkGetAtt(base, path, resource)
      else refName(base, path, resource)
    }
  }

  for (const [logicalId, resource] of Object.entries(resources)) {
    for (const dependency of resource.dependsOn) {
      if (!(dependency in resources)) report(BUILTIN_RULES.undefinedReference, ['Resources', logicalId, 'DependsOn'], `${dependency} is not a resource of this template`, logicalId)
    }
    const raw = (document.Resources as Record<string, unknown>)[logicalId]
    walk(raw, ['Resources', logicalId], logicalId)
  }
  walk(document.Conditions, ['Conditions'], undefined, true)
  for (const section of ['Outputs', 'Metadata', 'Rules']) walk(document[section], [section])

  for (const name of parameters) {
    if (!used.has(name)) report(BUILTIN_RULES.unusedParameter, ['Parameters', name], `parameter ${name} is never used`)
  }
  return findings
}
