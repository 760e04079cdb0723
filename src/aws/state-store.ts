import type {StateStore} from '../core/shutdown/api.js'
import {afterResend, createClient, usesCustomEndpoint, type AwsTarget} from './clients.js'
import {allPages} from './paging.js'

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
