import type {GuardDutyApi} from '../core/status/security.js'
import {allPages} from './paging.js'
import {createClient, type AwsTarget} from './clients.js'

export async function createGuardDutyApi(target: AwsTarget): Promise<GuardDutyApi> {
  const {GuardDutyClient, ListDetectorsCommand, GetDetectorCommand} = await import('@aws-sdk/client-guardduty')
  const client = createClient(GuardDutyClient, target)
  return {
    async detectors() {
      const pages = await allPages((token) => client.send(new ListDetectorsCommand({NextToken: token})), (page) => page.NextToken || undefined)
      const ids = pages.flatMap((page) => page.DetectorIds ?? [])
      return Promise.all(
        ids.map(async (id) => {
          const detector = await client.send(new GetDetectorCommand({DetectorId: id}))
          return {id, status: detector.Status ?? 'UNKNOWN'}
        }),
      )
    },
  }
}
