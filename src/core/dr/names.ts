/** The names the recovery region's resources have (docs/dr.md, "Names"); every DR slice relies on them. */

export const recoveryStackName = (primaryStackName: string): string => `${primaryStackName}-recovery`
export const globalClusterId = (env: string): string => `fintech-${env}-ledger-global`
export const vaultName = (env: string): string => `fintech-${env}-vault`
export const recoveryVaultName = (env: string): string => `fintech-${env}-vault-recovery`
export const recoveryBucketName = (bucket: string): string => `${bucket}-recovery`

export const backupVaultArn = (region: string, account: string, name: string): string => `arn:aws:backup:${region}:${account}:backup-vault:${name}`

/** arn:aws:rds:<region>:<account>:cluster:<id> → its region and cluster id. */
export function parseClusterArn(arn: string): {region: string; clusterId: string} | undefined {
  const match = /^arn:[^:]+:rds:([^:]+):\d+:cluster:(.+)$/.exec(arn)
  return match ? {region: match[1]!, clusterId: match[2]!} : undefined
}
