import type {ArtifactStore} from '../core/deploy/api.js'
import type {DrRegionApi} from '../core/dr/api.js'
import type {StateStore} from '../core/shutdown/api.js'
import type {ResourceSource, ServiceTagging, Tags} from '../core/tags/api.js'
import {partitionOf} from '../core/tags/policy.js'
import {afterResend, createClient, usesCustomEndpoint, type AwsTarget} from './clients.js'
import {allPages, eachPage} from './paging.js'
import {requestCounter, tagMap, tagOneByOne, tagsOneByOne} from './tagging.js'

/** S3's domain for a region: China regions live in their own partition. */
const s3Domain = (region: string) => (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com')

/**
 * Template storage for bodies over CloudFormation's 51,200-byte inline limit. The bucket is
 * created on first use, encrypted and closed to the public. Every call names the env's
 * account as the expected owner, so a bucket someone else created under the predictable
 * name is refused rather than trusted with templates that CloudFormation runs.
 */
export async function createArtifactStore(target: AwsTarget, ownerAccount: string): Promise<ArtifactStore> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = createClient(s3.S3Client, target, {forcePathStyle: usesCustomEndpoint()})
  const owner = {ExpectedBucketOwner: ownerAccount}
  const isMissing = (error: unknown) => {
    const name = (error as {name?: string}).name
    const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
    return name === 'NotFound' || name === 'NoSuchBucket' || name === 'NoSuchKey' || status === 404
  }
  const exists = async (check: () => Promise<unknown>) => {
    try {
      await check()
      return true
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  async function createBucket(bucket: string): Promise<void> {
    try {
      await client.send(
        new s3.CreateBucketCommand({
          Bucket: bucket,
          ...(target.region === 'us-east-1' ? {} : {CreateBucketConfiguration: {LocationConstraint: target.region as never}}),
        }),
      )
    } catch (error) {
      // A re-send told the bucket is already this account's: the first attempt created it.
      if ((error as {name?: string}).name !== 'BucketAlreadyOwnedByYou' || !afterResend(error)) throw error
    }
    await client.send(
      new s3.PutBucketEncryptionCommand({
        Bucket: bucket,
        ...owner,
        ServerSideEncryptionConfiguration: {Rules: [{ApplyServerSideEncryptionByDefault: {SSEAlgorithm: 'aws:kms'}, BucketKeyEnabled: true}]},
      }),
    )
    await client.send(
      new s3.PutPublicAccessBlockCommand({
        Bucket: bucket,
        ...owner,
        PublicAccessBlockConfiguration: {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
      }),
    )
  }

  const urlOf = (bucket: string, key: string) => {
    const endpoint = process.env.AWS_ENDPOINT_URL
    return endpoint ? `${endpoint.replace(/\/$/, '')}/${bucket}/${key}` : `https://${bucket}.s3.${target.region}.${s3Domain(target.region)}/${key}`
  }

  return {
    async putTemplate(bucket, key, body, {createBucket: mayCreate}) {
      let createdBucket = false
      if (!(await exists(() => client.send(new s3.HeadBucketCommand({Bucket: bucket, ...owner}))))) {
        if (!mayCreate) return undefined
        await createBucket(bucket)
        createdBucket = true
      }
      const present = await exists(() => client.send(new s3.HeadObjectCommand({Bucket: bucket, Key: key, ...owner})))
      if (!present) await client.send(new s3.PutObjectCommand({Bucket: bucket, Key: key, Body: body, ContentType: 'text/yaml', ...owner}))
      return {url: urlOf(bucket, key), createdBucket, uploaded: !present}
    },
  }
}

/** A bucket's replication rules (GetBucketReplication); none when it has no replication configuration. */
export async function createReplicationReader(target: AwsTarget): Promise<Pick<DrRegionApi, 'replicationRules'>> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = createClient(s3.S3Client, target, {forcePathStyle: usesCustomEndpoint()})
  return {
    async replicationRules(bucket) {
      const answer = await client.send(new s3.GetBucketReplicationCommand({Bucket: bucket})).catch((error: unknown) => {
        if ((error as {name?: string}).name === 'ReplicationConfigurationNotFoundError') return undefined
        throw error
      })
      return (answer?.ReplicationConfiguration?.Rules ?? []).map((rule) => ({
        id: rule.ID ?? '',
        enabled: rule.Status === 'Enabled',
        destinationBucketArn: rule.Destination?.Bucket ?? '',
        metricsEnabled: rule.Destination?.Metrics?.Status === 'Enabled',
      }))
    },
  }
}

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
      const pages = eachPage(
        (token) => counter.count(() => client.send(new s3.ListBucketsCommand({MaxBuckets: 1000, ContinuationToken: token}))),
        (page) => page.ContinuationToken,
      )
      for await (const page of pages) {
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
      }
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

export interface BackupObject {
  key: string
  size: number
  lastModified?: string
}

/** Every RDB under `prefix` in the backup bucket, newest first. */
export async function listBackups(target: AwsTarget, bucket: string, prefix: string): Promise<BackupObject[]> {
  const {S3Client, ListObjectsV2Command} = await import('@aws-sdk/client-s3')
  const client = createClient(S3Client, target, {forcePathStyle: usesCustomEndpoint()})
  const pages = await allPages(
    (token) => client.send(new ListObjectsV2Command({Bucket: bucket, Prefix: prefix, ...(token ? {ContinuationToken: token} : {})})),
    (page) => (page.IsTruncated ? page.NextContinuationToken : undefined),
  )
  const objects: BackupObject[] = []
  for (const object of pages.flatMap((page) => page.Contents ?? [])) {
    if (object.Key?.endsWith('.rdb')) objects.push({key: object.Key, size: object.Size ?? 0, ...(object.LastModified ? {lastModified: object.LastModified.toISOString()} : {})})
  }
  return objects.sort((a, b) => (b.lastModified ?? '').localeCompare(a.lastModified ?? ''))
}

/** The backup object's size and date, or undefined when there is no such key. */
export async function headBackup(target: AwsTarget, bucket: string, key: string): Promise<BackupObject | undefined> {
  const {S3Client, HeadObjectCommand} = await import('@aws-sdk/client-s3')
  const client = createClient(S3Client, target, {forcePathStyle: usesCustomEndpoint()})
  try {
    const head = await client.send(new HeadObjectCommand({Bucket: bucket, Key: key}))
    return {key, size: head.ContentLength ?? 0, ...(head.LastModified ? {lastModified: head.LastModified.toISOString()} : {})}
  } catch (error) {
    const {name, $metadata} = error as {name?: string; $metadata?: {httpStatusCode?: number}}
    if (name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404) return undefined
    throw error
  }
}

const nameOf = (error: unknown) => (error as {name?: string}).name
const statusOf = (error: unknown) => (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode

/** The object (not the bucket) is missing. */
const isMissingKey = (error: unknown) => nameOf(error) === 'NoSuchKey' || nameOf(error) === 'NotFound' || statusOf(error) === 404
/**
 * Another write decided first: 412 when the condition failed, 409 when S3 saw a concurrent
 * conditional write to the same key before either finished.
 */
const isLostRace = (error: unknown) =>
  ['PreconditionFailed', 'ConditionalRequestConflict'].includes(nameOf(error) ?? '') || statusOf(error) === 412 || statusOf(error) === 409

/**
 * Manifests and the lock of `fintech shutdown`, as JSON objects in the env's state bucket.
 * The bucket is the foundation stage's, never created here; like the artifact bucket, every
 * call names the env's account as the expected owner, so a bucket someone else created under
 * the predictable name is refused rather than trusted with the lock.
 */
export async function createStateStore(target: AwsTarget, bucket: string, ownerAccount: string): Promise<StateStore> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = createClient(s3.S3Client, target, {forcePathStyle: usesCustomEndpoint()})
  const where = {Bucket: bucket, ExpectedBucketOwner: ownerAccount}

  /** Sends a request, turning a missing bucket into a message that says what to do about it. */
  async function send<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      if (nameOf(error) === 'NoSuchBucket') {
        throw new Error(`state bucket ${bucket} does not exist: deploy the foundation stage or set shutdown.stateBucket`, {cause: error})
      }
      throw error
    }
  }

  const write = (key: string, body: string, condition: {IfNoneMatch?: string; IfMatch?: string} = {}) =>
    send(() =>
      client.send(
        new s3.PutObjectCommand({...where, Key: key, Body: body, ContentType: 'application/json', ServerSideEncryption: 'aws:kms', ...condition}),
      ),
    )

  async function read(key: string) {
    try {
      const object = await send(() => client.send(new s3.GetObjectCommand({...where, Key: key})))
      return {body: (await object.Body?.transformToString('utf-8')) ?? '', etag: object.ETag ?? ''}
    } catch (error) {
      if (isMissingKey(error)) return undefined
      throw error
    }
  }

  /**
   * A conditional write: false when the condition did not hold. S3 takes no token, so when a
   * re-send is refused, the first attempt may be the write that changed the object: it won
   * when the object now holds this very body (a lock's body names its run).
   */
  async function writeIf(key: string, body: string, condition: {IfNoneMatch?: string; IfMatch?: string}, lost: (error: unknown) => boolean) {
    try {
      await write(key, body, condition)
      return true
    } catch (error) {
      if (!lost(error)) throw error
      return afterResend(error) && (await read(key))?.body === body
    }
  }

  return {
    get: read,

    async list(prefix) {
      const pages = await allPages(
        (token) => send(() => client.send(new s3.ListObjectsV2Command({...where, Prefix: prefix, ContinuationToken: token}))),
        (page) => page.NextContinuationToken,
      )
      return pages.flatMap((page) => (page.Contents ?? []).map((object) => object.Key ?? ''))
    },

    async put(key, body) {
      await write(key, body)
    },

    putIfAbsent: (key, body) => writeIf(key, body, {IfNoneMatch: '*'}, isLostRace),

    // A vanished object (404) changed as much as a rewritten one.
    putIfMatch: (key, body, etag) => writeIf(key, body, {IfMatch: etag}, (error) => isLostRace(error) || isMissingKey(error)),

    async delete(key) {
      await send(() => client.send(new s3.DeleteObjectCommand({...where, Key: key})))
    },
  }
}
