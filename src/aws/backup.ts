import type {CopyJob, DrRegionApi} from '../core/dr/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages} from './paging.js'

/** AWS Backup copy jobs, listed in the source region (where the copy starts). */
export async function createCopyJobReader(target: AwsTarget): Promise<Pick<DrRegionApi, 'lastCopyJob'>> {
  const backup = await import('@aws-sdk/client-backup')
  const client = createClient(backup.BackupClient, target)
  return {
    async lastCopyJob(destinationVaultArn, since) {
      const pages = await allPages(
        (token) =>
          client.send(new backup.ListCopyJobsCommand({ByDestinationVaultArn: destinationVaultArn, ByState: 'COMPLETED', ByCreatedAfter: since, MaxResults: 100, NextToken: token})),
        (page) => page.NextToken,
      )
      const jobs = pages
        .flatMap((page) => page.CopyJobs ?? [])
        .flatMap((job): CopyJob[] => (job.CompletionDate ? [{id: job.CopyJobId ?? '', completedAt: job.CompletionDate, sourceVaultArn: job.SourceBackupVaultArn ?? ''}] : []))
      return jobs.sort((a, b) => b.completedAt.getTime() - a.completedAt.getTime())[0]
    },
  }
}
