import type {ArtifactStore} from '../core/deploy/api.js'
import {clientSettings, usesCustomEndpoint, type AwsTarget} from './clients.js'

/**
 * Template storage for bodies over CloudFormation's 51,200-byte inline limit. The bucket is
 * created on first use, encrypted and closed to the public; keys are content hashes, so an
 * object that exists already is the same template and is not uploaded again.
 */
export async function createArtifactStore(target: AwsTarget): Promise<ArtifactStore> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = new s3.S3Client({...clientSettings(target), forcePathStyle: usesCustomEndpoint()})
  const ready = new Map<string, Promise<void>>()
  const isMissing = (error: unknown) => {
    const name = (error as {name?: string}).name
    const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
    return name === 'NotFound' || name === 'NoSuchBucket' || name === 'NoSuchKey' || status === 404
  }

  async function ensureBucket(bucket: string): Promise<void> {
    try {
      await client.send(new s3.HeadBucketCommand({Bucket: bucket}))
      return
    } catch (error) {
      if (!isMissing(error)) throw error
    }
    await client.send(
      new s3.CreateBucketCommand({
        Bucket: bucket,
        ...(target.region === 'us-east-1' ? {} : {CreateBucketConfiguration: {LocationConstraint: target.region as never}}),
      }),
    )
    await client.send(
      new s3.PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {Rules: [{ApplyServerSideEncryptionByDefault: {SSEAlgorithm: 'aws:kms'}, BucketKeyEnabled: true}]},
      }),
    )
    await client.send(
      new s3.PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
      }),
    )
  }

  const urlOf = (bucket: string, key: string) => {
    const endpoint = process.env.AWS_ENDPOINT_URL
    return endpoint ? `${endpoint.replace(/\/$/, '')}/${bucket}/${key}` : `https://${bucket}.s3.${target.region}.amazonaws.com/${key}`
  }

  return {
    async putTemplate(bucket, key, body) {
      if (!ready.has(bucket)) ready.set(bucket, ensureBucket(bucket))
      await ready.get(bucket)
      try {
        await client.send(new s3.HeadObjectCommand({Bucket: bucket, Key: key}))
      } catch (error) {
        if (!isMissing(error)) throw error
        await client.send(new s3.PutObjectCommand({Bucket: bucket, Key: key, Body: body, ContentType: 'text/yaml'}))
      }
      return urlOf(bucket, key)
    },
  }
}
