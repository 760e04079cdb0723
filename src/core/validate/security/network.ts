import type {TemplateRule} from '../finding.js'
import {isDataTier, isLoadBalancerGroup} from './conventions.js'
import {
  checkEnvironments, child, isTrue, isUnknown, items, ofType, referencedId,
  type EvaluatedResource, type Evaluation, type Located, type Problem,
} from './evaluated.js'

/** Ports the internet may reach, and only on the load balancer: HTTP (to redirect) and HTTPS. */
const WEB_PORTS = new Set([80, 443])

export const noOpenIngress: TemplateRule = {
  id: 'FT-SEC-008',
  severity: 'error',
  title: 'No ingress from the whole internet',
  rationale:
    'Only the ALB faces the internet, on 80 and 443; every other tier is reached through its security group chain. A group is the ALB\'s when its Metadata says fintech: {role: load-balancer}.',
  check: (context) =>
    checkEnvironments(noOpenIngress, context, 'every', (evaluation) => [
      ...ofType(evaluation, 'AWS::EC2::SecurityGroup').flatMap((group) =>
        items(child(group.properties, 'SecurityGroupIngress')).flatMap((rule) => openIngress(group, rule, isLoadBalancerGroup(group))),
      ),
      ...ofType(evaluation, 'AWS::EC2::SecurityGroupIngress').flatMap((ingress) =>
        openIngress(ingress, ingress.properties, standaloneRuleOnLoadBalancer(evaluation, ingress)),
      ),
    ]),
}

/**
 * A standalone ingress rule belongs to the group its GroupId (or GroupName) refers to; when
 * that group lives in another template, the rule resource itself may carry the marker.
 */
function standaloneRuleOnLoadBalancer(evaluation: Evaluation, ingress: EvaluatedResource): boolean {
  const groupId = referencedId(child(ingress.properties, 'GroupId').value) ?? referencedId(child(ingress.properties, 'GroupName').value)
  const group = groupId === undefined ? undefined : evaluation.byId.get(groupId)
  return group ? isLoadBalancerGroup(group) : isLoadBalancerGroup(ingress)
}

function openIngress(owner: EvaluatedResource, rule: Located, onLoadBalancer: boolean): Problem[] {
  const source = [child(rule, 'CidrIp'), child(rule, 'CidrIpv6')].find((cidr) => isWholeInternet(cidr.value))
  if (!source) return []
  const ports = portRange(rule)
  if (onLoadBalancer && ports.single !== undefined && WEB_PORTS.has(ports.single)) return []
  const why = onLoadBalancer ? 'the load balancer may only open 80 and 443 to the internet' : 'only a security group marked fintech.role: load-balancer may face the internet'
  return [{resource: owner.id, path: source.path, message: `${owner.id}: ingress from ${String(source.value)} on ${ports.description} (${why})`}]
}

/**
 * 0.0.0.0/0, ::/0, and any range so wide it is the internet in all but name: an IPv4 prefix
 * shorter than /8 (0.0.0.0/1 is half of it) or an IPv6 prefix shorter than /16.
 */
function isWholeInternet(cidr: unknown): boolean {
  if (typeof cidr !== 'string') return false
  const match = /\/(\d+)$/.exec(cidr.trim())
  if (!match) return false
  const length = Number(match[1])
  return cidr.includes(':') ? length < 16 : length < 8
}

function portRange(rule: Located): {single?: number; description: string} {
  const protocol = String(child(rule, 'IpProtocol').value ?? '').toLowerCase()
  if (protocol === '-1' || protocol === 'all') return {description: 'all protocols and ports'}
  const from = Number(child(rule, 'FromPort').value)
  const to = Number(child(rule, 'ToPort').value)
  const isTcp = protocol === 'tcp' || protocol === '6'
  if (Number.isNaN(from) || Number.isNaN(to)) return {description: `${protocol} ports unknown`}
  const description = from === to ? `${protocol} ${from}` : `${protocol} ${from}-${to}`
  return {single: isTcp && from === to ? from : undefined, description}
}

/** Managed databases that have a switch to take them onto the internet. */
const DATABASE_TYPES = ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::Redshift::Cluster', 'AWS::DMS::ReplicationInstance']

export const dataTierPrivate: TemplateRule = {
  id: 'FT-SEC-009',
  severity: 'error',
  title: 'Nothing in the data tier is public',
  rationale:
    'Databases and the Redis hosts hold customer data and must only be reachable from the app tier; no public address, ever. Self-managed hosts, launch templates and subnets are data tier when their Metadata says fintech: {tier: data}.',
  check: (context) =>
    checkEnvironments(dataTierPrivate, context, 'every', (evaluation) => [
      ...ofType(evaluation, ...DATABASE_TYPES).flatMap((database) =>
        defaultsToPublic(database)
          ? mustBeFalse(database, child(database.properties, 'PubliclyAccessible'), 'PubliclyAccessible')
          : mustNotBeTrue(database, child(database.properties, 'PubliclyAccessible'), 'PubliclyAccessible'),
      ),
      ...ofType(evaluation, 'AWS::EC2::Instance')
        .filter((instance) => isDataTier(instance) || isDataTierLaunchTemplate(evaluation, instance))
        .flatMap((instance) => publicInterfaces(instance, child(instance.properties, 'NetworkInterfaces'))),
      ...ofType(evaluation, 'AWS::EC2::LaunchTemplate')
        .filter(isDataTier)
        .flatMap((template) => publicInterfaces(template, child(template.properties, 'LaunchTemplateData', 'NetworkInterfaces'))),
      ...ofType(evaluation, 'AWS::AutoScaling::LaunchConfiguration')
        .filter(isDataTier)
        .flatMap((configuration) => mustNotBeTrue(configuration, child(configuration.properties, 'AssociatePublicIpAddress'), 'AssociatePublicIpAddress')),
      ...ofType(evaluation, 'AWS::EC2::Subnet')
        .filter(isDataTier)
        .flatMap((subnet) => mustNotBeTrue(subnet, child(subnet.properties, 'MapPublicIpOnLaunch'), 'MapPublicIpOnLaunch')),
    ]),
}

/**
 * Types that become public when PubliclyAccessible is left out and their subnets route to an
 * internet gateway: RDS instances (Aurora members included), Multi-AZ DB clusters (Aurora
 * clusters have no such switch) and DMS replication instances. They must say false.
 */
function defaultsToPublic(database: EvaluatedResource): boolean {
  switch (database.type) {
    case 'AWS::RDS::DBInstance':
    case 'AWS::DMS::ReplicationInstance':
      return true
    case 'AWS::RDS::DBCluster':
      return child(database.properties, 'DBClusterInstanceClass').value !== undefined
    default:
      return false
  }
}

/** A problem unless the property is explicitly false; unknown values pass. */
function mustBeFalse(resource: EvaluatedResource, property: Located, name: string): Problem[] {
  const value = property.value
  if (value === false || (typeof value === 'string' && value.toLowerCase() === 'false') || isUnknown(value)) return []
  const why = value === undefined ? 'left out, it defaults to public when the subnets route to the internet' : 'it is true'
  return [{resource: resource.id, path: property.path, message: `${resource.id}: ${name} must be false in the data tier (${why})`}]
}

function mustNotBeTrue(resource: EvaluatedResource, property: Located, name: string): Problem[] {
  if (!isTrue(property.value)) return []
  return [{resource: resource.id, path: property.path, message: `${resource.id}: ${name} must not be true in the data tier`}]
}

function publicInterfaces(resource: EvaluatedResource, interfaces: Located): Problem[] {
  return items(interfaces).flatMap((networkInterface) => mustNotBeTrue(resource, child(networkInterface, 'AssociatePublicIpAddress'), 'NetworkInterfaces.AssociatePublicIpAddress'))
}

/** An instance launched from a data-tier launch template of this template is data tier too. */
function isDataTierLaunchTemplate(evaluation: Evaluation, instance: EvaluatedResource): boolean {
  const id = referencedId(child(instance.properties, 'LaunchTemplate', 'LaunchTemplateId').value)
  const launchTemplate = id === undefined ? undefined : evaluation.byId.get(id)
  return launchTemplate !== undefined && isDataTier(launchTemplate)
}
