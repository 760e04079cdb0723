import type {ArtifactStore} from '../core/deploy/api.js'
import type {DrRegionApi} from '../core/dr/api.js'
import {afterResend, createClient, usesCustomEndpoint, type AwsTarget} from './clients.js'

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
