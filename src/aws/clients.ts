import {createRequire} from 'node:module'

/** Where and as whom the CLI talks to AWS. */
export interface AwsTarget {
  region: string
  profile?: string
}

// The SDK warns on every run under Node 20 that its 2027 releases need Node 22. It is a note
// for whoever upgrades dependencies (README), not for someone deploying at 3 a.m.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const {version} = createRequire(import.meta.url)('../../package.json') as {version: string}

/**
 * Settings every SDK client shares: the default credential chain (env, SSO, profiles,
 * container and instance roles) narrowed by --profile, adaptive retries for throttling,
 * AWS_ENDPOINT_URL for AWS-compatible endpoints, and a user agent AWS support can grep.
 */
export function clientSettings(target: AwsTarget) {
  const endpoint = process.env.AWS_ENDPOINT_URL || undefined
  return {
    region: target.region,
    ...(target.profile ? {profile: target.profile} : {}),
    ...(endpoint ? {endpoint} : {}),
    retryMode: 'adaptive',
    maxAttempts: 8,
    customUserAgent: `fintech/${version}`,
  }
}

/** Path-style addressing, because a custom endpoint (moto, LocalStack) rarely serves bucket sub-domains. */
export const usesCustomEndpoint = (): boolean => Boolean(process.env.AWS_ENDPOINT_URL)
