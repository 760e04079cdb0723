// Counts the Cost Explorer requests of `fintech cost report` on a cold and a warm cache.
//
// The built command runs in-process against aws-sdk-client-mock, which answers every
// GetCostAndUsage with a day per bucket of the requested range, so the report is real;
// every request is counted. The cache lives in a throw-away FINTECH_CACHE_DIR.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CostExplorerClient, GetCostAndUsageCommand} from '@aws-sdk/client-cost-explorer'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {Config} from '@oclif/core'
import {mockClient} from 'aws-sdk-client-mock'
import {runQuietly} from './run-quietly.js'

const nextDay = (date) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

/**
 * @returns {{command: string, cold: number, warm: number, reported: {cold: number, warm: number}}}
 *   Cost Explorer requests sent on a cold cache and again on the warm one, and what the
 *   report said it sent; throws when the report fails.
 */
export async function countCostReportCalls(repoRoot) {
  const command = 'cost report --by service --period 30d'
  const args = [...command.split(' ').slice(2), '--config', join(repoRoot, 'fintech.config.yaml'), '--json']
  // The cache is kept per caller account: the report asks STS who it is first.
  const sts = mockClient(STSClient)
  sts.on(GetCallerIdentityCommand).resolves({Account: '444444444444', Arn: 'arn:aws:iam::444444444444:user/bench', UserId: 'BENCH'})
  const ce = mockClient(CostExplorerClient)
  ce.onAnyCommand().rejects(new Error('not mocked: a cost report only calls GetCostAndUsage'))
  ce.on(GetCostAndUsageCommand).callsFake(async (input) => {
    const results = []
    for (let date = input.TimePeriod.Start; date < input.TimePeriod.End; date = nextDay(date)) {
      results.push({
        TimePeriod: {Start: date, End: nextDay(date)},
        Total: {},
        Groups: [{Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: {UnblendedCost: {Amount: '12.34', Unit: 'USD'}}}],
        Estimated: false,
      })
    }
    return {ResultsByTime: results}
  })

  const cacheDir = mkdtempSync(join(tmpdir(), 'fintech-bench-cost-'))
  const saved = {cache: process.env.FINTECH_CACHE_DIR, exitCode: process.exitCode}
  process.env.FINTECH_CACHE_DIR = cacheDir
  try {
    const config = await Config.load(repoRoot)
    const {default: CostReport} = await import('../dist/commands/cost/report.js')
    const once = async () => {
      const before = ce.calls().length
      const {result, printed} = await runQuietly(() => CostReport.run(args, config))
      if (!result?.costExplorer) throw new Error(`the mocked cost report failed\n--- command output (last 2000 characters) ---\n${printed.trim().slice(-2000)}`)
      return {sent: ce.calls().length - before, reported: result.costExplorer.requests}
    }
    const cold = await once()
    const warm = await once()
    return {command, cold: cold.sent, warm: warm.sent, reported: {cold: cold.reported, warm: warm.reported}}
  } finally {
    ce.restore()
    sts.restore()
    process.exitCode = saved.exitCode
    if (saved.cache === undefined) delete process.env.FINTECH_CACHE_DIR
    else process.env.FINTECH_CACHE_DIR = saved.cache
    rmSync(cacheDir, {recursive: true, force: true})
  }
}
