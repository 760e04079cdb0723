import type {ConfigControlResult, FindingCounts, SecurityHubApi} from '../core/status/security.js'
import {allPages} from './paging.js'
import {createClient, type AwsTarget} from './clients.js'

const equals = (...values: string[]) => values.map((Value) => ({Value, Comparison: 'EQUALS' as const}))

/** Findings that still need someone: active records, not yet resolved or suppressed. */
const OPEN = {RecordState: equals('ACTIVE'), WorkflowStatus: equals('NEW', 'NOTIFIED')}

/** The most GetFindings returns per page. */
const PAGE_SIZE = 100

export async function createSecurityHubApi(target: AwsTarget): Promise<SecurityHubApi> {
  const {SecurityHubClient, DescribeHubCommand, GetFindingsCommand} = await import('@aws-sdk/client-securityhub')
  const client = createClient(SecurityHubClient, target)
  return {
    async isEnabled() {
      try {
        await client.send(new DescribeHubCommand({}))
        return true
      } catch (error) {
        // What Security Hub answers an account that is not subscribed in the region.
        if ((error as Error).name === 'InvalidAccessException') return false
        throw error
      }
    },

    /**
     * Counted page by page: GetFindings is the one read that filters on severity, record state
     * and workflow together (insights would need one created in each account first).
     */
    async countActiveFindings(): Promise<FindingCounts> {
      const pages = await allPages(
        (token) => client.send(new GetFindingsCommand({Filters: {...OPEN, SeverityLabel: equals('CRITICAL', 'HIGH')}, MaxResults: PAGE_SIZE, NextToken: token})),
        (page) => page.NextToken || undefined,
      )
      const counts = {critical: 0, high: 0}
      for (const finding of pages.flatMap((page) => page.Findings ?? [])) {
        if (finding.Severity?.Label === 'CRITICAL') counts.critical++
        else if (finding.Severity?.Label === 'HIGH') counts.high++
      }
      return counts
    },

    async configControl(): Promise<ConfigControlResult | undefined> {
      const page = await client.send(
        new GetFindingsCommand({Filters: {RecordState: equals('ACTIVE'), ComplianceSecurityControlId: equals('Config.1')}, MaxResults: 1}),
      )
      const finding = page.Findings?.[0]
      if (!finding?.Compliance?.Status) return undefined
      return {complianceStatus: finding.Compliance.Status, updatedAt: finding.UpdatedAt}
    },
  }
}
