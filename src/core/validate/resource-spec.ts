/**
 * The CloudFormation resource specification as the built-in checks need it: which types
 * exist, their properties with types, which are required, and their GetAtt attributes.
 * Backed by @aws-cdk/aws-service-spec, the registry schema the AWS CDK generates its
 * CloudFormation bindings from, loaded on first use (about 0.6 s).
 */

export type SpecType =
  | {type: 'string' | 'number' | 'integer' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag'}
  | {type: 'array' | 'map'; element: SpecType}
  | {type: 'ref'; reference: {$ref: string}}
  | {type: 'union'; types: SpecType[]}

export interface SpecProperty {
  type: SpecType
  required?: boolean
  previousTypes?: SpecType[]
}

export interface ResourceSchema {
  properties: Record<string, SpecProperty>
  attributes: Record<string, unknown>
}

export interface ResourceSpec {
  resource(cloudFormationType: string): ResourceSchema | undefined
  /** The properties of a nested property type (a `ref`). */
  typeDefinition(id: string): Record<string, SpecProperty> | undefined
}

let loading: Promise<ResourceSpec> | undefined

export function loadResourceSpec(): Promise<ResourceSpec> {
  loading ??= (async () => {
    const {loadAwsServiceSpec} = await import('@aws-cdk/aws-service-spec')
    const db = await loadAwsServiceSpec()
    const resources = new Map<string, ResourceSchema>()
    for (const resource of db.all('resource')) resources.set(resource.cloudFormationType, resource as unknown as ResourceSchema)
    return {
      resource: (type) => resources.get(type),
      typeDefinition: (id) => (db.get('typeDefinition', id) as unknown as {properties: Record<string, SpecProperty>} | undefined)?.properties,
    }
  })()
  return loading
}
