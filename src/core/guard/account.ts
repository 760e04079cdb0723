import type {CallerIdentity, IdentityApi} from '../deploy/api.js'
import {InputError} from '../errors.js'

/**
 * Every command that changes something calls this first: credentials for the wrong account
 * are the most expensive mistake this CLI can make, so it stops before the first mutation.
 */
export async function assertAccount(identity: IdentityApi, envName: string, expectedAccount: string): Promise<CallerIdentity> {
  const caller = await identity.whoAmI()
  if (caller.account !== expectedAccount) {
    throw new InputError(
      `refusing to act on ${envName}: the credentials are for account ${caller.account} (${caller.arn}), but ${envName} is account ${expectedAccount}`,
      `use credentials for ${expectedAccount}, e.g. --profile, or check environments.${envName}.account in the config`,
    )
  }
  return caller
}
