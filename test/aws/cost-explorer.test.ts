import {CostExplorerClient, GetCostAndUsageCommand, GetCostForecastCommand} from '@aws-sdk/client-cost-explorer'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {createCostExplorerApi} from '../../src/aws/cost-explorer.js'
import {FintechError} from '../../src/core/errors.js'

const ce = mockClient(CostExplorerClient)

beforeEach(() => {
  ce.reset()
  delete process.env.AWS_ENDPOINT_URL
})
afterAll(() => ce.restore())

describe('Cost Explorer', () => {
  it('sends one GetCostAndUsage page in us-east-1 with the grouping, the account filter and the page token', async () => {
    ce.on(GetCostAndUsageCommand).resolves({
      ResultsByTime: [
        {
          TimePeriod: {Start: '2026-11-13', End: '2026-11-14'},
          Total: {},
          Groups: [
            {Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: {UnblendedCost: {Amount: '12.3456', Unit: 'USD'}}},
            {Keys: ['AWS Key Management Service'], Metrics: {UnblendedCost: {Amount: '0.0321', Unit: 'USD'}}},
          ],
          Estimated: true,
        },
      ],
      NextPageToken: 'next',
    })
    const api = await createCostExplorerApi({region: 'eu-west-1', profile: 'payer'})
    const page = await api.getCostAndUsage(
      {start: '2026-11-13', end: '2026-11-14', granularity: 'DAILY', metric: 'UnblendedCost', groupBy: {type: 'DIMENSION', key: 'SERVICE'}, accounts: ['111111111111', '222222222222']},
      'previous',
    )
    const [call] = ce.commandCalls(GetCostAndUsageCommand)
    expect(call!.args[0].input).toEqual({
      TimePeriod: {Start: '2026-11-13', End: '2026-11-14'},
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost'],
      GroupBy: [{Type: 'DIMENSION', Key: 'SERVICE'}],
      Filter: {Dimensions: {Key: 'LINKED_ACCOUNT', Values: ['111111111111', '222222222222']}},
      NextPageToken: 'previous',
    })
    expect(await (call!.thisValue as CostExplorerClient).config.region()).toBe('us-east-1')
    expect(page).toEqual({
      buckets: [
        {
          start: '2026-11-13',
          end: '2026-11-14',
          estimated: true,
          groups: [
            {key: 'Amazon Elastic Compute Cloud - Compute', amount: 12.3456},
            {key: 'AWS Key Management Service', amount: 0.0321},
          ],
          unit: 'USD',
        },
      ],
      nextPageToken: 'next',
    })
  })

  it('reads the total of an ungrouped query and sends no filter when no account is named', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ResultsByTime: [{TimePeriod: {Start: '2026-11-01', End: '2026-11-15'}, Total: {AmortizedCost: {Amount: '420.5', Unit: 'USD'}}, Groups: []}], NextPageToken: ''})
    const api = await createCostExplorerApi({region: 'us-east-1'})
    const page = await api.getCostAndUsage({start: '2026-11-01', end: '2026-11-15', granularity: 'MONTHLY', metric: 'AmortizedCost'})
    expect(ce.commandCalls(GetCostAndUsageCommand)[0]!.args[0].input).toEqual({TimePeriod: {Start: '2026-11-01', End: '2026-11-15'}, Granularity: 'MONTHLY', Metrics: ['AmortizedCost']})
    expect(page).toEqual({buckets: [{start: '2026-11-01', end: '2026-11-15', estimated: false, total: 420.5, groups: [], unit: 'USD'}], nextPageToken: undefined})
  })

  it('asks GetCostForecast in the forecast spelling of the metric, with the prediction interval', async () => {
    ce.on(GetCostForecastCommand).resolves({
      Total: {Amount: '1500.5', Unit: 'USD'},
      ForecastResultsByTime: [
        {TimePeriod: {Start: '2026-11-15', End: '2026-12-01'}, MeanValue: '500.5', PredictionIntervalLowerBound: '450', PredictionIntervalUpperBound: '560'},
        {TimePeriod: {Start: '2026-12-01', End: '2027-01-01'}, MeanValue: '1000'},
      ],
    })
    const api = await createCostExplorerApi({region: 'eu-west-1'})
    const forecast = await api.getCostForecast({start: '2026-11-15', end: '2027-01-01', granularity: 'MONTHLY', metric: 'NetUnblendedCost', accounts: ['333333333333'], predictionIntervalLevel: 80})
    expect(ce.commandCalls(GetCostForecastCommand)[0]!.args[0].input).toEqual({
      TimePeriod: {Start: '2026-11-15', End: '2027-01-01'},
      Granularity: 'MONTHLY',
      Metric: 'NET_UNBLENDED_COST',
      PredictionIntervalLevel: 80,
      Filter: {Dimensions: {Key: 'LINKED_ACCOUNT', Values: ['333333333333']}},
    })
    expect(forecast).toEqual({
      total: 1500.5,
      unit: 'USD',
      periods: [
        {start: '2026-11-15', end: '2026-12-01', mean: 500.5, lower: 450, upper: 560},
        // No interval given: the mean stands for both bounds.
        {start: '2026-12-01', end: '2027-01-01', mean: 1000, lower: 1000, upper: 1000},
      ],
    })
  })

  it('turns Cost Explorer refusals into messages that say what to do', async () => {
    ce.on(GetCostAndUsageCommand).rejects(Object.assign(new Error('User not enabled for cost explorer access'), {name: 'AccessDeniedException'}))
    const api = await createCostExplorerApi({region: 'eu-west-1'})
    const error = await api.getCostAndUsage({start: '2026-11-01', end: '2026-11-15', granularity: 'DAILY', metric: 'UnblendedCost'}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FintechError)
    expect((error as FintechError).message).toBe('Cost Explorer refused the request: User not enabled for cost explorer access')
    expect((error as FintechError).hint).toBe('enable Cost Explorer in the payer account, and allow ce:GetCostAndUsage and ce:GetCostForecast to the caller')

    ce.on(GetCostForecastCommand).rejects(Object.assign(new Error('Insufficient amount of historical data'), {name: 'DataUnavailableException'}))
    await expect(api.getCostForecast({start: '2026-11-15', end: '2027-01-01', granularity: 'MONTHLY', metric: 'UnblendedCost', predictionIntervalLevel: 80})).rejects.toThrow(
      'Cost Explorer has no data for this request yet: Insufficient amount of historical data',
    )
  })
})
