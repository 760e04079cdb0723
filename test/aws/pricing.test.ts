import {GetProductsCommand, PricingClient} from '@aws-sdk/client-pricing'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {createPriceListApi, lowestHourlyPrice} from '../../src/aws/pricing.js'

const pricing = mockClient(PricingClient)

beforeEach(() => {
  pricing.reset()
  delete process.env.AWS_ENDPOINT_URL
})
afterAll(() => pricing.restore())

/** A Price List product document as GetProducts returns it: a JSON string. */
const product = (sku: string, usd: string, unit = 'Hrs') =>
  JSON.stringify({
    product: {sku, productFamily: 'Compute Instance', attributes: {instanceType: 'r7g.large'}},
    serviceCode: 'AmazonEC2',
    terms: {OnDemand: {[`${sku}.JRTCKXETXF`]: {priceDimensions: {[`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {unit, pricePerUnit: {USD: usd}, description: 'per hour'}}}}},
  })

describe('Price List API', () => {
  it('asks GetProducts in us-east-1 for a Linux, shared, used EC2 instance at the location, every page', async () => {
    pricing.on(GetProductsCommand).resolvesOnce({PriceList: [product('A', '0.1198000000')], NextToken: 'more'}).resolvesOnce({PriceList: []})
    const api = await createPriceListApi({region: 'eu-west-1'})
    expect(await api.onDemandHourly('ec2', 'r7g.large', 'eu-west-1', 'EU (Ireland)')).toBe(0.1198)
    const calls = pricing.commandCalls(GetProductsCommand)
    expect(calls.map((call) => call.args[0].input)).toEqual([
      {
        ServiceCode: 'AmazonEC2',
        FormatVersion: 'aws_v1',
        MaxResults: 100,
        NextToken: undefined,
        Filters: [
          {Type: 'TERM_MATCH', Field: 'instanceType', Value: 'r7g.large'},
          {Type: 'TERM_MATCH', Field: 'location', Value: 'EU (Ireland)'},
          {Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux'},
          {Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared'},
          {Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA'},
          {Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used'},
        ],
      },
      expect.objectContaining({NextToken: 'more'}),
    ])
    expect(await (calls[0]!.thisValue as PricingClient).config.region()).toBe('us-east-1')
  })

  it('filters Aurora by engine and ElastiCache by Redis, by region code where the location is not known', async () => {
    pricing.on(GetProductsCommand).resolves({PriceList: []})
    const api = await createPriceListApi({region: 'eu-west-1'})
    expect(await api.onDemandHourly('aurora-postgresql', 'db.r7g.xlarge', 'ap-southeast-2')).toBeUndefined()
    await api.onDemandHourly('elasticache-redis', 'cache.r7g.large', 'eu-west-1', 'EU (Ireland)')
    expect(pricing.commandCalls(GetProductsCommand).map((call) => [call.args[0].input.ServiceCode, call.args[0].input.Filters])).toEqual([
      [
        'AmazonRDS',
        [
          {Type: 'TERM_MATCH', Field: 'instanceType', Value: 'db.r7g.xlarge'},
          {Type: 'TERM_MATCH', Field: 'regionCode', Value: 'ap-southeast-2'},
          {Type: 'TERM_MATCH', Field: 'databaseEngine', Value: 'Aurora PostgreSQL'},
        ],
      ],
      [
        'AmazonElastiCache',
        [
          {Type: 'TERM_MATCH', Field: 'instanceType', Value: 'cache.r7g.large'},
          {Type: 'TERM_MATCH', Field: 'location', Value: 'EU (Ireland)'},
          {Type: 'TERM_MATCH', Field: 'cacheEngine', Value: 'Redis'},
        ],
      ],
    ])
  })

  it('takes the lowest hourly on-demand price of the products left (Aurora Standard below I/O-Optimized)', () => {
    expect(lowestHourlyPrice([product('IOOPT', '0.7852000000'), product('STD', '0.6040000000'), product('GB', '0.1000000000', 'GB-Mo'), product('ZERO', '0.0000000000')])).toBe(0.604)
    expect(lowestHourlyPrice([])).toBeUndefined()
  })
})
