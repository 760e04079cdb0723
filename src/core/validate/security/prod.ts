import {isStateful} from '../../changeset/stateful.js'
import type {TemplateRule} from '../finding.js'
import {
  checkEnvironments, child, isUnknown, items, ofType, referencedId, requireTrue, shown,
  type EvaluatedResource, type Evaluation, type Problem,
} from './evaluated.js'

/**
 * Rules that only hold in protected environments (prod): each judges the template with the
 * parameters a protected env sends, and says nothing about a template no protected env deploys.
 */

/** Aurora instances keep no data of their own: the cluster's volume does, and the cluster is protected. */
const isAuroraInstance = (resource: EvaluatedResource): boolean =>
  resource.type === 'AWS::RDS::DBInstance' && child(resource.properties, 'DBClusterIdentifier').value !== undefined

/** Whether the prod rules treat a resource as holding data (Aurora members hold none: their cluster does). */
const holdsData = (resource: EvaluatedResource): boolean => !isAuroraInstance(resource) && isStateful(resource.type, resource.declared)

export const deletionProtectionInProd: TemplateRule = {
  id: 'FT-SEC-010',
  severity: 'error',
  title: 'Deletion protection on prod data stores',
  rationale: 'In prod a stray destroy, stack rollback or console click must not be able to delete the ledger database, the sessions table or the Redis hosts.',
  check: (context) =>
    checkEnvironments(deletionProtectionInProd, context, 'protected', (evaluation) =>
      evaluation.resources.filter(holdsData).flatMap((resource): Problem[] => {
        switch (resource.type) {
          case 'AWS::RDS::DBCluster':
          case 'AWS::RDS::DBInstance':
            return requireTrue(resource, child(resource.properties, 'DeletionProtection'), 'DeletionProtection')
          case 'AWS::DynamoDB::Table':
            return requireTrue(resource, child(resource.properties, 'DeletionProtectionEnabled'), 'DeletionProtectionEnabled')
          case 'AWS::DynamoDB::GlobalTable':
            return items(child(resource.properties, 'Replicas')).flatMap((replica) =>
              requireTrue(resource, child(replica, 'DeletionProtectionEnabled'), 'Replicas.DeletionProtectionEnabled'),
            )
          case 'AWS::EC2::Instance':
            return instanceTerminationProtection(evaluation, resource)
          default:
            return []
        }
      }),
    ),
}

/** An instance is protected by DisableApiTermination on itself or in the launch template it comes from. */
function instanceTerminationProtection(evaluation: Evaluation, instance: EvaluatedResource): Problem[] {
  const own = child(instance.properties, 'DisableApiTermination')
  if (own.value !== undefined) return requireTrue(instance, own, 'DisableApiTermination')
  const launchTemplateId = referencedId(child(instance.properties, 'LaunchTemplate', 'LaunchTemplateId').value)
  const launchTemplate = launchTemplateId === undefined ? undefined : evaluation.byId.get(launchTemplateId)
  if (launchTemplate) {
    const inherited = child(launchTemplate.properties, 'LaunchTemplateData', 'DisableApiTermination')
    if (inherited.value !== undefined) return requireTrue(instance, inherited, 'DisableApiTermination (from its launch template)')
  } else if (child(instance.properties, 'LaunchTemplate').value !== undefined) {
    return [] // launched from a template defined elsewhere: its settings are not visible here
  }
  return requireTrue(instance, own, 'DisableApiTermination')
}

/** Types for which CloudFormation can take a final snapshot instead of keeping the resource. */
const SNAPSHOT_TYPES = new Set([
  'AWS::EC2::Volume', 'AWS::ElastiCache::CacheCluster', 'AWS::ElastiCache::ReplicationGroup', 'AWS::Neptune::DBCluster',
  'AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::Redshift::Cluster', 'AWS::DocDB::DBCluster',
])

/** RetainExceptOnCreate keeps the resource once it has existed, which is what protects data. */
const RETAINING_POLICIES = new Set(['Retain', 'RetainExceptOnCreate'])

export const deletionPolicyInProd: TemplateRule = {
  id: 'FT-SEC-011',
  severity: 'error',
  title: 'Stateful resources keep their data when removed from a prod stack',
  rationale: 'DeletionPolicy and UpdateReplacePolicy default to Delete: removing or replacing a resource, or deleting the stack, would destroy prod data, so prod needs Snapshot or Retain for both.',
  check: (context) =>
    checkEnvironments(deletionPolicyInProd, context, 'protected', (evaluation) =>
      evaluation.resources.filter(holdsData).flatMap((resource): Problem[] => [
        ...policyProblems(resource, 'DeletionPolicy', RETAINING_POLICIES),
        // A replacement (a changed immutable property) deletes the old resource unless told otherwise.
        ...policyProblems(resource, 'UpdateReplacePolicy', new Set(['Retain'])),
      ]),
    ),
}

function policyProblems(resource: EvaluatedResource, attribute: 'DeletionPolicy' | 'UpdateReplacePolicy', retaining: ReadonlySet<string>): Problem[] {
  const policy = child(resource.definition, attribute)
  if (isUnknown(policy.value) || (typeof policy.value === 'string' && retaining.has(policy.value))) return []
  const snapshotSupported = SNAPSHOT_TYPES.has(resource.type)
  if (policy.value === 'Snapshot' && snapshotSupported) return []
  const wanted = snapshotSupported ? 'Snapshot or Retain' : 'Retain'
  const unsupported = policy.value === 'Snapshot' ? `, which ${resource.type} does not support` : ''
  return [{resource: resource.id, path: policy.path, message: `${resource.id}: ${attribute} must be ${wanted} (${shown(policy.value)}${unsupported})`}]
}

export const multiAzInProd: TemplateRule = {
  id: 'FT-SEC-014',
  severity: 'error',
  title: 'Prod databases span two availability zones',
  rationale: 'The platform promises 99.9% across an AZ failure: an Aurora cluster needs a writer and a reader in different AZs to fail over, a standalone RDS instance needs MultiAZ.',
  check: (context) =>
    checkEnvironments(multiAzInProd, context, 'protected', (evaluation) => [
      ...ofType(evaluation, 'AWS::RDS::DBCluster')
        // A Multi-AZ DB cluster (DBClusterInstanceClass set) places its instances itself.
        .filter((cluster) => child(cluster.properties, 'DBClusterInstanceClass').value === undefined)
        .flatMap((cluster) => clusterSpansZones(evaluation, cluster)),
      ...ofType(evaluation, 'AWS::RDS::DBInstance')
        .filter((instance) => !isAuroraInstance(instance))
        .flatMap((instance) => requireTrue(instance, child(instance.properties, 'MultiAZ'), 'MultiAZ')),
    ]),
}

function clusterSpansZones(evaluation: Evaluation, cluster: EvaluatedResource): Problem[] {
  const clusterName = child(cluster.properties, 'DBClusterIdentifier').value
  const members = ofType(evaluation, 'AWS::RDS::DBInstance').filter((instance) => {
    const identifier = child(instance.properties, 'DBClusterIdentifier').value
    return referencedId(identifier) === cluster.id || (typeof identifier === 'string' && identifier === clusterName)
  })
  if (members.length < 2) {
    return [{resource: cluster.id, path: cluster.definition.path, message: `${cluster.id}: needs a writer and at least one reader (AWS::RDS::DBInstance with its DBClusterIdentifier), found ${members.length} instance(s)`}]
  }
  // Identical AvailabilityZone expressions (a literal, or the same !Select of !GetAZs) mean one zone.
  const zones = members.map((instance) => child(instance.properties, 'AvailabilityZone').value)
  const allPinned = zones.every((zone) => zone !== undefined)
  if (allPinned && new Set(zones.map((zone) => JSON.stringify(zone))).size === 1) {
    const zone = typeof zones[0] === 'string' ? ` (${zones[0]})` : ''
    return [{resource: cluster.id, path: cluster.definition.path, message: `${cluster.id}: all ${members.length} instances are placed in the same availability zone${zone}`}]
  }
  return []
}
