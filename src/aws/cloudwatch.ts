import type {FiringAlarm, LedgerApi, MetricSeries} from '../core/ledger/api.js'
import type {DrRegionApi} from '../core/dr/api.js'
import {createClient, type AwsTarget} from './clients.js'
import {allPages, chunks} from './paging.js'

/** DescribeAlarms takes at most 100 alarm names a call. */
const NAMES_PER_CALL = 100

export async function createCloudWatchReader(target: AwsTarget): Promise<Pick<LedgerApi, 'metrics' | 'alarmsInAlarm'>> {
  const cloudwatch = await import('@aws-sdk/client-cloudwatch')
  const client = createClient(cloudwatch.CloudWatchClient, target)

  return {
    /** One GetMetricData request for every query; a long answer comes in pages that may split one series. */
    async metrics(queries, window) {
      const pages = await allPages(
        (token) =>
          client.send(
            new cloudwatch.GetMetricDataCommand({
              StartTime: window.start,
              EndTime: window.end,
              ScanBy: 'TimestampAscending',
              NextToken: token,
              MetricDataQueries: queries.map((query) => ({
                Id: query.id,
                ReturnData: true,
                MetricStat: {
                  Metric: {
                    Namespace: query.namespace,
                    MetricName: query.metricName,
                    Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({Name, Value})),
                  },
                  Period: query.periodSeconds,
                  Stat: query.stat,
                },
              })),
            }),
          ),
        (page) => page.NextToken,
      )
      const points = new Map<string, MetricSeries['points']>(queries.map((query) => [query.id, []]))
      for (const result of pages.flatMap((page) => page.MetricDataResults ?? [])) {
        const series = points.get(result.Id ?? '')
        if (!series) continue
        for (const [index, at] of (result.Timestamps ?? []).entries()) {
          const value = result.Values?.[index]
          if (value !== undefined) series.push({at, value})
        }
      }
      return [...points].map(([id, series]) => ({id, points: series.sort((a, b) => a.at.getTime() - b.at.getTime())}))
    },

    async alarmsInAlarm(names) {
      const alarms: FiringAlarm[] = []
      for (const batch of chunks(names, NAMES_PER_CALL)) {
        const pages = await allPages(
          (token) =>
            client.send(
              new cloudwatch.DescribeAlarmsCommand({
                AlarmNames: batch,
                StateValue: 'ALARM',
                AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
                MaxRecords: NAMES_PER_CALL,
                NextToken: token,
              }),
            ),
          (page) => page.NextToken,
        )
        for (const alarm of pages.flatMap((page) => [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])])) {
          alarms.push({
            name: alarm.AlarmName ?? '',
            reason: alarm.StateReason ?? '',
            ...(alarm.StateUpdatedTimestamp ? {since: alarm.StateUpdatedTimestamp} : {}),
          })
        }
      }
      return alarms
    },
  }
}

/** One metric's highest Maximum over a window, per minute (GetMetricStatistics). */
export async function createMetricMaximumReader(target: AwsTarget): Promise<Pick<DrRegionApi, 'maximum'>> {
  const cloudwatch = await import('@aws-sdk/client-cloudwatch')
  const client = createClient(cloudwatch.CloudWatchClient, target)
  return {
    async maximum(query, window) {
      const {Datapoints} = await client.send(
        new cloudwatch.GetMetricStatisticsCommand({
          Namespace: query.namespace,
          MetricName: query.metricName,
          Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({Name, Value})),
          StartTime: window.start,
          EndTime: window.end,
          Period: 60,
          Statistics: ['Maximum'],
        }),
      )
      const values = (Datapoints ?? []).flatMap((point) => (point.Maximum === undefined ? [] : [point.Maximum]))
      return values.length > 0 ? Math.max(...values) : undefined
    },
  }
}
