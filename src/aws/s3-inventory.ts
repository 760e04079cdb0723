import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {partitionOf} from '../core/tags/policy.js'
import {createClient, usesCustomEndpoint, type AwsTarget} from './clients.js'
import {requestCounter, tagOneByOne, tagsOneByOne} from './resource-tags.js'
import {tagMap} from './tags.js'

/** GetBucketLocation's answer for a region: none for us-east-1, EU for the oldest eu-west-1 buckets. */
const regionOfLocation = (location: string | undefined) => (!location ? 'us-east-1' : location === 'EU' ? 'eu-west-1' : location)

const isNoTagSet = (error: unknown) => (error as {name?: string}).name === 'NoSuchTagSet'

/**
 * The account's buckets that live in `regions`. ListBuckets is global and names each bucket's
 * region (BucketRegion); where it does not, GetBucketLocation is asked. ListBuckets carries no
 * tags: they are read per bucket, in its region, only where needed.
 */
export async function createS3Listing(target: AwsTarget, regions: string[]): Promise<ResourceSource> {
  const s3 = await import('@aws-sdk/client-s3')
  const clients = new Map<string, InstanceType<typeof s3.S3Client>>()
  const clientFor = (region: string) => {
    let client = clients.get(region)
    if (!client) {
      client = createClient(s3.S3Client, {...target, region}, {forcePathStyle: usesCustomEndpoint()})
      clients.set(region, client)
    }
    return client
  }
  const counter = requestCounter()
  const bucketRegion = new Map<string, string>()
  const nameOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1)
  return {
    name: 's3',
    region: 'global',
    requests: counter.sent,
    async *pages() {
      const client = clientFor(target.region)
      let token: string | undefined
      do {
        const page = await counter.count(() => client.send(new s3.ListBucketsCommand({MaxBuckets: 1000, ContinuationToken: token})))
        token = page.ContinuationToken || undefined
        const found = []
        for (const bucket of page.Buckets ?? []) {
          if (!bucket.Name) continue
          const region =
            bucket.BucketRegion ?? regionOfLocation((await counter.count(() => client.send(new s3.GetBucketLocationCommand({Bucket: bucket.Name})))).LocationConstraint)
          if (!regions.includes(region)) continue
          bucketRegion.set(bucket.Name, region)
          found.push({arn: `arn:${partitionOf(region)}:s3:::${bucket.Name}`, region})
        }
        yield found
      } while (token)
    },
    tagsOf: (arns) =>
      tagsOneByOne(arns, async (arn) => {
        const Bucket = nameOf(arn)
        try {
          return tagMap((await counter.count(() => clientFor(bucketRegion.get(Bucket) ?? target.region).send(new s3.GetBucketTaggingCommand({Bucket})))).TagSet)
        } catch (error) {
          if (isNoTagSet(error)) return {}
          throw error
        }
      }),
  }
}

/**
 * s3:PutBucketTagging for buckets TagResources refused. It replaces a bucket's whole tag set,
 * so the tags in place are read first and kept.
 */
export async function tagS3Buckets(target: AwsTarget, arns: string[], tags: Tags): Promise<Map<string, ServiceTagging>> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = createClient(s3.S3Client, target, {forcePathStyle: usesCustomEndpoint()})
  return tagOneByOne(arns, 's3:PutBucketTagging', async (arn) => {
    const Bucket = arn.slice(arn.lastIndexOf(':') + 1)
    let current: Tags = {}
    try {
      current = tagMap((await client.send(new s3.GetBucketTaggingCommand({Bucket}))).TagSet)
    } catch (error) {
      if (!isNoTagSet(error)) throw error
    }
    const merged = {...current, ...tags}
    await client.send(new s3.PutBucketTaggingCommand({Bucket, Tagging: {TagSet: Object.entries(merged).map(([Key, Value]) => ({Key, Value}))}}))
  })
}
