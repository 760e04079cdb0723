import type {DrApi} from '../core/dr/api.js'
import {createClient, type AwsTarget} from './clients.js'

/** A Route 53 health check: whether it is inverted (GetHealthCheck) and what each checker sees (GetHealthCheckStatus). */
export async function createHealthCheckReader(target: AwsTarget): Promise<Pick<DrApi, 'healthCheck'>> {
  const route53 = await import('@aws-sdk/client-route-53')
  const client = createClient(route53.Route53Client, target)
  return {
    async healthCheck(id) {
      const [check, status] = await Promise.all([
        client.send(new route53.GetHealthCheckCommand({HealthCheckId: id})),
        client.send(new route53.GetHealthCheckStatusCommand({HealthCheckId: id})),
      ])
      return {
        inverted: check.HealthCheck?.HealthCheckConfig?.Inverted ?? false,
        observations: (status.HealthCheckObservations ?? []).map((observation) => observation.StatusReport?.Status ?? ''),
      }
    },
  }
}
