import {isRecord, type EvaluatedResource} from './evaluated.js'

/**
 * What a template says about a resource's place in the platform, in its Metadata under
 * `fintech` (the same block that holds `stateful` and `suppress`):
 *
 *   Metadata:
 *     fintech:
 *       role: load-balancer   # a security group of the internet-facing ALB
 *       tier: data            # an instance, launch template or subnet of the data tier
 *
 * Declared, not guessed from names or descriptions: a reviewer sees the claim in the diff.
 */
function fintechMetadata(resource: EvaluatedResource): Record<string, unknown> {
  return isRecord(resource.metadata.fintech) ? resource.metadata.fintech : {}
}

export const LOAD_BALANCER_ROLE = 'load-balancer'
export const DATA_TIER = 'data'

export function isLoadBalancerGroup(resource: EvaluatedResource): boolean {
  return fintechMetadata(resource).role === LOAD_BALANCER_ROLE
}

export function isDataTier(resource: EvaluatedResource): boolean {
  return fintechMetadata(resource).tier === DATA_TIER
}
