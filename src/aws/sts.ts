import type {CallerIdentity, IdentityApi} from '../core/deploy/api.js'
import {createClient, type AwsTarget} from './clients.js'

export async function createIdentityApi(target: AwsTarget): Promise<IdentityApi> {
  const {STSClient, GetCallerIdentityCommand} = await import('@aws-sdk/client-sts')
  const client = createClient(STSClient, target)
  return {
    async whoAmI(): Promise<CallerIdentity> {
      const identity = await client.send(new GetCallerIdentityCommand({}))
      return {account: identity.Account ?? '', arn: identity.Arn ?? ''}
    },
  }
}
