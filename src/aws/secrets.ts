import {createClient, type AwsTarget} from './clients.js'

/** Reads a secret's string value (the data stage's RedisAuthSecret holds the bare password). */
export async function readSecretString(target: AwsTarget, secretId: string): Promise<string> {
  const {SecretsManagerClient, GetSecretValueCommand} = await import('@aws-sdk/client-secrets-manager')
  const client = createClient(SecretsManagerClient, target)
  const {SecretString} = await client.send(new GetSecretValueCommand({SecretId: secretId}))
  if (!SecretString) throw new Error(`secret ${secretId} has no string value`)
  return SecretString
}
