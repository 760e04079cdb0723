import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {createStateStore} from '../../src/aws/s3.js'

const s3 = mockClient(S3Client)
const TARGET = {region: 'eu-west-1'}
const BUCKET = 'fintech-artifacts-111111111111-eu-west-1'
const OWNER = '111111111111'
const KEY = 'fintech/shutdown/dev/lock.json'
const MISSING_BUCKET = `state bucket ${BUCKET} does not exist: deploy the foundation stage or set shutdown.stateBucket`

beforeEach(() => {
  s3.reset()
  delete process.env.AWS_ENDPOINT_URL
})
afterEach(() => {
  delete process.env.AWS_ENDPOINT_URL
})

const s3Error = (name: string, status: number, message = name) =>
  new S3ServiceException({name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: {httpStatusCode: status}})
const noSuchBucket = () => s3Error('NoSuchBucket', 404, 'The specified bucket does not exist')
/** The part of the SDK's streaming body the store reads. */
const body = (text: string) => ({transformToString: async (encoding?: string) => Buffer.from(text).toString(encoding as BufferEncoding)}) as never
const store = () => createStateStore(TARGET, BUCKET, OWNER)

describe('get', () => {
  it('returns the body and ETag, asking as the env account', async () => {
    s3.on(GetObjectCommand).resolves({Body: body('{"holder":"run-1"}'), ETag: '"9dd4e461268c8034f5c8564e155c67a6"'})

    expect(await (await store()).get(KEY)).toEqual({body: '{"holder":"run-1"}', etag: '"9dd4e461268c8034f5c8564e155c67a6"'})
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([{Bucket: BUCKET, Key: KEY, ExpectedBucketOwner: OWNER}])
  })

  it.each([
    ['NoSuchKey', s3Error('NoSuchKey', 404, 'The specified key does not exist.')],
    ['a bare 404', s3Error('NotFound', 404, 'UnknownError')],
  ])('returns undefined for %s', async (_, error) => {
    s3.on(GetObjectCommand).rejects(error)
    expect(await (await store()).get(KEY)).toBeUndefined()
  })

  it('says what to do when the bucket does not exist', async () => {
    s3.on(GetObjectCommand).rejects(noSuchBucket())
    await expect((await store()).get(KEY)).rejects.toThrow(MISSING_BUCKET)
  })

  it('passes other errors through', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'))
    await expect((await store()).get(KEY)).rejects.toMatchObject({name: 'AccessDenied'})
  })
})

describe('list', () => {
  it('lists the keys under a prefix over every page', async () => {
    s3.on(ListObjectsV2Command, {ContinuationToken: undefined}).resolves({
      Contents: [{Key: 'fintech/shutdown/dev/manifests/2026-11-20.json'}],
      IsTruncated: true,
      NextContinuationToken: 'page-2',
    })
    s3.on(ListObjectsV2Command, {ContinuationToken: 'page-2'}).resolves({
      Contents: [{Key: 'fintech/shutdown/dev/manifests/2026-11-21.json'}],
      IsTruncated: false,
    })

    expect(await (await store()).list('fintech/shutdown/dev/manifests/')).toEqual([
      'fintech/shutdown/dev/manifests/2026-11-20.json',
      'fintech/shutdown/dev/manifests/2026-11-21.json',
    ])
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      {Bucket: BUCKET, ExpectedBucketOwner: OWNER, Prefix: 'fintech/shutdown/dev/manifests/', ContinuationToken: undefined},
      {Bucket: BUCKET, ExpectedBucketOwner: OWNER, Prefix: 'fintech/shutdown/dev/manifests/', ContinuationToken: 'page-2'},
    ])
  })

  it('returns nothing for an empty prefix', async () => {
    s3.on(ListObjectsV2Command).resolves({KeyCount: 0, IsTruncated: false})
    expect(await (await store()).list('fintech/shutdown/test/')).toEqual([])
  })

  it('says what to do when the bucket does not exist', async () => {
    s3.on(ListObjectsV2Command).rejects(noSuchBucket())
    await expect((await store()).list('fintech/shutdown/dev/')).rejects.toThrow(MISSING_BUCKET)
  })
})

describe('writes', () => {
  const written = () => s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)
  const plainPut = {Bucket: BUCKET, ExpectedBucketOwner: OWNER, Key: KEY, Body: '{}', ContentType: 'application/json', ServerSideEncryption: 'aws:kms'}

  it('put writes JSON, KMS-encrypted, as the env account', async () => {
    s3.on(PutObjectCommand).resolves({ETag: '"1"'})
    await (await store()).put(KEY, '{}')
    expect(written()).toEqual([plainPut])
  })

  it('putIfAbsent writes only when no object has the key', async () => {
    s3.on(PutObjectCommand).resolves({ETag: '"1"'})
    expect(await (await store()).putIfAbsent(KEY, '{}')).toBe(true)
    expect(written()).toEqual([{...plainPut, IfNoneMatch: '*'}])
  })

  it.each([
    ['PreconditionFailed (412)', s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold')],
    ['ConditionalRequestConflict (409)', s3Error('ConditionalRequestConflict', 409, 'A conflicting conditional operation is currently in progress against this resource.')],
  ])('putIfAbsent answers false on %s', async (_, error) => {
    s3.on(PutObjectCommand).rejects(error)
    expect(await (await store()).putIfAbsent(KEY, '{}')).toBe(false)
  })

  it('putIfAbsent passes other errors through', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'))
    await expect((await store()).putIfAbsent(KEY, '{}')).rejects.toMatchObject({name: 'AccessDenied'})
  })

  it('putIfMatch writes only over the version it read', async () => {
    s3.on(PutObjectCommand).resolves({ETag: '"2"'})
    expect(await (await store()).putIfMatch(KEY, '{}', '"1"')).toBe(true)
    expect(written()).toEqual([{...plainPut, IfMatch: '"1"'}])
  })

  it.each([
    ['it changed (412)', s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold')],
    ['it vanished (404)', s3Error('NoSuchKey', 404, 'The specified key does not exist.')],
    ['a concurrent write (409)', s3Error('ConditionalRequestConflict', 409, 'A conflicting conditional operation is currently in progress against this resource.')],
  ])('putIfMatch answers false when %s', async (_, error) => {
    s3.on(PutObjectCommand).rejects(error)
    expect(await (await store()).putIfMatch(KEY, '{}', '"1"')).toBe(false)
  })

  describe('a re-send refused because the first attempt wrote', () => {
    const afterResend = (error: S3ServiceException) => Object.assign(error, {$metadata: {...error.$metadata, attempts: 2}})
    const changed = () => afterResend(s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'))
    const LOCK = '{"run":"r-1","expires":"2026-11-22T12:00:00Z"}'

    it('putIfAbsent answers true when the object holds the very body sent', async () => {
      s3.on(PutObjectCommand).rejects(changed())
      s3.on(GetObjectCommand).resolves({Body: body(LOCK), ETag: '"1"'})
      expect(await (await store()).putIfAbsent(KEY, LOCK)).toBe(true)
      expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({Bucket: BUCKET, Key: KEY, ExpectedBucketOwner: OWNER})
    })

    it('putIfMatch answers true when the object holds the very body sent', async () => {
      s3.on(PutObjectCommand).rejects(changed())
      s3.on(GetObjectCommand).resolves({Body: body(LOCK), ETag: '"2"'})
      expect(await (await store()).putIfMatch(KEY, LOCK, '"1"')).toBe(true)
    })

    it('answers false when another body is there: another run wrote', async () => {
      s3.on(PutObjectCommand).rejects(changed())
      s3.on(GetObjectCommand).resolves({Body: body('{"run":"r-2"}'), ETag: '"2"'})
      const api = await store()
      expect(await api.putIfAbsent(KEY, LOCK)).toBe(false)
      expect(await api.putIfMatch(KEY, LOCK, '"1"')).toBe(false)
    })

    it('does not read the object when the first attempt was refused', async () => {
      s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412))
      expect(await (await store()).putIfAbsent(KEY, LOCK)).toBe(false)
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0)
    })
  })

  it('a missing bucket is an error, not a lost race', async () => {
    s3.on(PutObjectCommand).rejects(noSuchBucket())
    const api = await store()
    await expect(api.putIfMatch(KEY, '{}', '"1"')).rejects.toThrow(MISSING_BUCKET)
    await expect(api.putIfAbsent(KEY, '{}')).rejects.toThrow(MISSING_BUCKET)
    await expect(api.put(KEY, '{}')).rejects.toThrow(MISSING_BUCKET)
  })

  it('delete removes the key as the env account', async () => {
    s3.on(DeleteObjectCommand).resolves({})
    await (await store()).delete(KEY)
    expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input)).toEqual([{Bucket: BUCKET, ExpectedBucketOwner: OWNER, Key: KEY}])
  })
})

it('addresses the bucket by path behind a custom endpoint, and by sub-domain on AWS', async () => {
  s3.on(DeleteObjectCommand).resolves({})
  await (await store()).delete(KEY)
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:5000'
  await (await store()).delete(KEY)

  const pathStyle = s3.commandCalls(DeleteObjectCommand).map((call) => (call.thisValue as S3Client).config.forcePathStyle)
  expect(pathStyle).toEqual([false, true])
})
