import {
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, expect, it} from 'vitest'
import {createArtifactStore} from '../../src/aws/s3.js'

const s3 = mockClient(S3Client)
const BUCKET = 'fintech-artifacts-111111111111-eu-west-1'
const OWNER = '111111111111'

/** S3's refusal as the SDK hands it over after `attempts` sends of the same request. */
const s3Error = (name: string, status: number, attempts = 1) =>
  new S3ServiceException({name, message: name, $fault: status >= 500 ? 'server' : 'client', $metadata: {httpStatusCode: status, attempts}})

beforeEach(() => {
  s3.reset()
  delete process.env.AWS_ENDPOINT_URL
  s3.on(HeadBucketCommand).rejects(s3Error('NotFound', 404))
  s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404))
  s3.on(PutBucketEncryptionCommand).resolves({})
  s3.on(PutPublicAccessBlockCommand).resolves({})
  s3.on(PutObjectCommand).resolves({})
})

it('goes on closing the bucket and uploading when the re-sent CreateBucket is told the bucket is already ours', async () => {
  s3.on(CreateBucketCommand).rejects(s3Error('BucketAlreadyOwnedByYou', 409, 2))
  const store = await createArtifactStore({region: 'eu-west-1'}, OWNER)

  expect(await store.putTemplate(BUCKET, 'dev/network.yaml', 'Resources: {}', {createBucket: true})).toEqual({
    url: `https://${BUCKET}.s3.eu-west-1.amazonaws.com/dev/network.yaml`,
    createdBucket: true,
    uploaded: true,
  })
  expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(1)
  expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(1)
})

it('refuses a bucket of ours it did not just create: the first attempt was told so', async () => {
  s3.on(CreateBucketCommand).rejects(s3Error('BucketAlreadyOwnedByYou', 409, 1))
  const store = await createArtifactStore({region: 'eu-west-1'}, OWNER)

  await expect(store.putTemplate(BUCKET, 'dev/network.yaml', 'Resources: {}', {createBucket: true})).rejects.toMatchObject({name: 'BucketAlreadyOwnedByYou'})
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
})
