/**
 * The shipped guardrails (templates/scp/, attached as fintech.config.yaml says), simulated
 * offline: what each one denies, and what it must still allow for deploys, the nightly
 * shutdown and the break-glass role.
 */
import {fileURLToPath} from 'node:url'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadConfig, type LoadedConfig} from '../../src/core/config/load.js'
import {desiredPolicies, type DesiredPolicy} from '../../src/core/scp/desired.js'
import {loadStatementMatcher, type StatementMatcher} from '../../src/core/scp/evaluate.js'
import {BREAK_GLASS_ACTIONS, denyEverythingStatements} from '../../src/core/scp/guards.js'
import {simulateOffline, type SimulateOptions} from '../../src/core/scp/simulate.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let loaded: LoadedConfig
let policies: DesiredPolicy[]
let matcher: StatementMatcher

beforeAll(async () => {
  loaded = loadConfig(`${root}/fintech.config.yaml`)
  policies = desiredPolicies(loaded)
  matcher = await loadStatementMatcher()
})

const ACCOUNTS = {dev: '111111111111', test: '222222222222', prod: '333333333333'} as const
type Env = keyof typeof ACCOUNTS
const deployRole = (env: Env) => `arn:aws:iam::${ACCOUNTS[env]}:role/fintech-deploy`
const breakGlass = (env: Env) => `arn:aws:iam::${ACCOUNTS[env]}:role/fintech-break-glass`

const simulate = (options: SimulateOptions) => simulateOffline(matcher, loaded.config, policies, options)
const decide = (options: SimulateOptions) => {
  const result = simulate(options)
  return result.decision === 'allowed' ? 'allowed' : `denied by ${result.deniedBy!.policy} ${result.deniedBy!.statement}`
}

describe('the shipped guardrails as a whole', () => {
  it('none of them counts as denying everything, in any env (scp apply would refuse it at the root)', () => {
    expect(policies.filter((policy) => policy.document).length).toBe(6)
    for (const policy of policies) {
      if (policy.document) expect([policy.name, denyEverythingStatements(matcher, policy.document, Object.values(loaded.config.environments))]).toEqual([policy.name, []])
    }
  })
})

describe('fintech-deny-leave-organization (root)', () => {
  it.each(['dev', 'test', 'prod'] as const)('keeps every role of %s in the organization, the break-glass role too', (env) => {
    for (const principal of [deployRole(env), breakGlass(env)]) {
      expect(decide({target: env, action: 'organizations:LeaveOrganization', principal})).toBe('denied by fintech-deny-leave-organization DenyLeavingTheOrganization')
    }
  })

  it('still lets accounts read the organization', () => {
    expect(decide({target: 'prod', action: 'organizations:DescribeOrganization', principal: deployRole('prod')})).toBe('allowed')
  })
})

describe('fintech-protect-security-services (root)', () => {
  it.each([
    ['cloudtrail:StopLogging', 'ProtectCloudTrail'],
    ['cloudtrail:DeleteTrail', 'ProtectCloudTrail'],
    ['cloudtrail:UpdateTrail', 'ProtectCloudTrail'],
    ['config:StopConfigurationRecorder', 'ProtectConfig'],
    ['config:DeleteDeliveryChannel', 'ProtectConfig'],
    ['guardduty:DeleteDetector', 'ProtectGuardDuty'],
    ['guardduty:DisassociateFromAdministratorAccount', 'ProtectGuardDuty'],
    ['securityhub:DisableSecurityHub', 'ProtectSecurityHub'],
    ['securityhub:BatchDisableStandards', 'ProtectSecurityHub'],
    ['cloudtrail:DeleteEventDataStore', 'ProtectCloudTrail'],
    ['cloudtrail:StopEventDataStoreIngestion', 'ProtectCloudTrail'],
    ['config:PutConfigurationRecorder', 'ProtectConfig'],
    ['config:PutDeliveryChannel', 'ProtectConfig'],
    ['config:DeleteConfigurationAggregator', 'ProtectConfig'],
    ['securityhub:DeleteInsight', 'ProtectSecurityHub'],
    ['securityhub:UpdateStandardsControl', 'ProtectSecurityHub'],
  ])('denies %s to the deploy role in every env', (action, sid) => {
    for (const env of ['dev', 'prod'] as const) {
      expect(decide({target: env, action, principal: deployRole(env)})).toBe(`denied by fintech-protect-security-services ${sid}`)
    }
  })

  it('lets deploys create the baseline trail and turn it on, and anyone read the record', () => {
    for (const action of ['cloudtrail:CreateTrail', 'cloudtrail:StartLogging', 'cloudtrail:AddTags', 'cloudtrail:LookupEvents', 'guardduty:GetFindings', 'securityhub:GetFindings']) {
      expect(decide({target: 'prod', action, principal: deployRole('prod')})).toBe('allowed')
    }
  })

  it('lets the break-glass role change or delete a trail (a whole non-prod env torn down)', () => {
    expect(decide({target: 'dev', action: 'cloudtrail:DeleteTrail', principal: breakGlass('dev')})).toBe('allowed')
    expect(decide({target: 'prod', action: 'cloudtrail:UpdateTrail', principal: breakGlass('prod')})).toBe('allowed')
  })

  it('leaves setting up or changing the Config recorder and delivery channel, event data stores and Security Hub controls to the break-glass role', () => {
    for (const action of ['config:PutConfigurationRecorder', 'config:PutDeliveryChannel', 'config:DeleteConfigurationAggregator', 'cloudtrail:DeleteEventDataStore', 'cloudtrail:StopEventDataStoreIngestion', 'securityhub:DeleteInsight', 'securityhub:UpdateStandardsControl']) {
      expect(decide({target: 'prod', action, principal: breakGlass('prod')}), action).toBe('allowed')
    }
  })
})

describe('fintech-region-allow-list (root)', () => {
  it('denies regional work outside eu-west-1 and us-east-1', () => {
    for (const region of ['eu-central-1', 'ap-southeast-2']) {
      expect(decide({target: 'prod', action: 'ec2:RunInstances', principal: deployRole('prod'), region})).toBe('denied by fintech-region-allow-list DenyOutsideEuWest1AndUsEast1')
      expect(decide({target: 'dev', action: 's3:CreateBucket', principal: deployRole('dev'), region})).toBe('denied by fintech-region-allow-list DenyOutsideEuWest1AndUsEast1')
    }
  })

  it('allows the same work in eu-west-1 and us-east-1', () => {
    for (const region of ['eu-west-1', 'us-east-1']) expect(decide({target: 'prod', action: 'ec2:RunInstances', principal: deployRole('prod'), region})).toBe('allowed')
  })

  it('allows the global services from any region: IAM, STS, Organizations, Route 53, CloudFront, support', () => {
    for (const action of ['iam:CreateRole', 'iam:PassRole', 'sts:AssumeRole', 'sts:GetCallerIdentity', 'organizations:DescribeOrganization', 'route53:ChangeResourceRecordSets', 'cloudfront:CreateInvalidation', 'support:DescribeCases', 's3:ListAllMyBuckets', 's3:GetAccountPublicAccessBlock']) {
      expect(decide({target: 'prod', action, principal: deployRole('prod'), region: 'ap-southeast-2'}), action).toBe('allowed')
    }
  })
})

describe('fintech-deny-root-user (root)', () => {
  it('denies every action to the root user of a member account', () => {
    for (const action of ['s3:GetObject', 'iam:CreateUser', 'sts:GetCallerIdentity']) {
      expect(decide({target: 'prod', action, principal: 'arn:aws:iam::333333333333:root'})).toBe('denied by fintech-deny-root-user DenyRootUserOfMemberAccounts')
    }
  })

  it('leaves roles and users alone, and cannot restrict the management account', () => {
    expect(decide({target: 'prod', action: 'iam:CreateUser', principal: 'arn:aws:iam::333333333333:user/alice'})).toBe('allowed')
    const management = simulate({target: 'account:management', action: 'iam:CreateUser', principal: 'arn:aws:iam::444444444444:root'})
    expect(management).toMatchObject({decision: 'allowed', reason: 'not-restricted'})
    expect(management.notes).toContain('SCPs do not restrict the management account: whatever they say, its users and roles are not limited')
  })
})

describe('fintech-require-encryption (root)', () => {
  const deploy = (action: string, context: string[] = [], resource?: string) => decide({target: 'prod', action, principal: deployRole('prod'), context, ...(resource ? {resource} : {})})

  it('denies Aurora clusters without storage encryption, said or unsaid, and allows encrypted ones', () => {
    expect(deploy('rds:CreateDBCluster', ['rds:StorageEncrypted=false'])).toBe('denied by fintech-require-encryption DenyAuroraClustersWithoutStorageEncryption')
    expect(deploy('rds:CreateDBCluster')).toBe('denied by fintech-require-encryption DenyAuroraClustersWithoutStorageEncryption')
    expect(deploy('rds:CreateDBCluster', ['rds:StorageEncrypted=true'])).toBe('allowed')
    // Aurora members inherit the cluster's encryption and send no StorageEncrypted: the data stage creates three.
    expect(deploy('rds:CreateDBInstance')).toBe('allowed')
  })

  it('denies Aurora clusters restored from S3 without storage encryption, the other action carrying rds:StorageEncrypted', () => {
    expect(deploy('rds:RestoreDBClusterFromS3')).toBe('denied by fintech-require-encryption DenyAuroraClustersWithoutStorageEncryption')
    expect(deploy('rds:RestoreDBClusterFromS3', ['rds:StorageEncrypted=false'])).toBe('denied by fintech-require-encryption DenyAuroraClustersWithoutStorageEncryption')
    expect(deploy('rds:RestoreDBClusterFromS3', ['rds:StorageEncrypted=true'])).toBe('allowed')
  })

  it.each(['rds:CreateDBInstanceReadReplica', 'rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBInstanceFromDBSnapshot', 'rds:RestoreDBClusterToPointInTime', 'rds:RestoreDBInstanceToPointInTime'])(
    'leaves %s alone: it carries no rds:StorageEncrypted, so a BoolIfExists on it would deny every call (a restore takes its source\'s encryption unless given a key)',
    (action) => {
      expect(deploy(action)).toBe('allowed')
    },
  )

  it('denies unencrypted EBS volumes, alone or at launch, and allows encrypted ones', () => {
    expect(deploy('ec2:CreateVolume', ['ec2:Encrypted=false'])).toBe('denied by fintech-require-encryption DenyUnencryptedEbsVolumes')
    expect(deploy('ec2:CreateVolume', ['ec2:Encrypted=true'])).toBe('allowed')
    expect(deploy('ec2:RunInstances', ['ec2:Encrypted=false'], 'arn:aws:ec2:eu-west-1:333333333333:volume/*')).toBe('denied by fintech-require-encryption DenyInstancesWithUnencryptedVolumes')
    expect(deploy('ec2:RunInstances', ['ec2:Encrypted=true'], 'arn:aws:ec2:eu-west-1:333333333333:volume/*')).toBe('allowed')
    expect(deploy('ec2:RunInstances', [], 'arn:aws:ec2:eu-west-1:333333333333:instance/*')).toBe('allowed')
  })

  it('keeps EBS encryption by default on', () => {
    expect(deploy('ec2:DisableEbsEncryptionByDefault')).toBe('denied by fintech-require-encryption DenyDisablingEbsDefaultEncryption')
    expect(deploy('ec2:EnableEbsEncryptionByDefault')).toBe('allowed')
  })

  it('denies S3 uploads that ask for other than KMS, and allows KMS or the bucket default (the CLI\'s artifact uploads)', () => {
    expect(deploy('s3:PutObject', ['s3:x-amz-server-side-encryption=AES256'])).toBe('denied by fintech-require-encryption DenyS3UploadsEncryptedWithoutKms')
    expect(deploy('s3:PutObject', ['s3:x-amz-server-side-encryption=aws:kms'])).toBe('allowed')
    expect(deploy('s3:PutObject')).toBe('allowed')
  })

  it('denies scheduling KMS key deletion to everyone, the break-glass role included, and allows using keys', () => {
    expect(deploy('kms:ScheduleKeyDeletion')).toBe('denied by fintech-require-encryption DenyKmsKeyDeletion')
    expect(decide({target: 'prod', action: 'kms:ScheduleKeyDeletion', principal: breakGlass('prod')})).toBe('denied by fintech-require-encryption DenyKmsKeyDeletion')
    expect(deploy('kms:DeleteImportedKeyMaterial')).toBe('denied by fintech-require-encryption DenyKmsKeyDeletion')
    for (const action of ['kms:CreateKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:CancelKeyDeletion']) expect(deploy(action)).toBe('allowed')
  })
})

describe('fintech-protect-prod-data (ou:Prod)', () => {
  it.each([
    ['rds:DeleteDBCluster', 'DenyDeletingProdDataExceptBreakGlass'],
    ['dynamodb:DeleteTable', 'DenyDeletingProdDataExceptBreakGlass'],
    ['rds:DeleteDBClusterSnapshot', 'DenyDeletingProdBackupsExceptBreakGlass'],
    ['dynamodb:DeleteBackup', 'DenyDeletingProdBackupsExceptBreakGlass'],
    ['rds:DeleteGlobalCluster', 'DenyDeletingProdDataExceptBreakGlass'],
    ['rds:DeleteDBSnapshot', 'DenyDeletingProdBackupsExceptBreakGlass'],
    ['rds:DeleteDBClusterAutomatedBackup', 'DenyDeletingProdBackupsExceptBreakGlass'],
    ['backup:DeleteRecoveryPoint', 'DenyDeletingProdBackupsExceptBreakGlass'],
  ])('denies %s in prod to the deploy role and to any other role', (action, sid) => {
    expect(decide({target: 'account:prod', action, principal: deployRole('prod')})).toBe(`denied by fintech-protect-prod-data ${sid}`)
    expect(decide({target: 'ou:Prod', action})).toBe(`denied by fintech-protect-prod-data ${sid}`)
  })

  it('lets the break-glass role delete in an emergency, signed in as the role or as a session of it', () => {
    for (const principal of [breakGlass('prod'), 'arn:aws:sts::333333333333:assumed-role/fintech-break-glass/on-call']) {
      for (const action of ['rds:DeleteDBCluster', 'rds:DeleteGlobalCluster', 'dynamodb:DeleteTable', 'rds:DeleteDBClusterSnapshot', 'rds:DeleteDBSnapshot', 'backup:DeleteRecoveryPoint']) {
        expect(decide({target: 'account:prod', action, principal}), `${action} as ${principal}`).toBe('allowed')
      }
    }
  })

  it('exempts only the role of that exact name, without a path', () => {
    expect(decide({target: 'prod', action: 'rds:DeleteDBCluster', principal: 'arn:aws:iam::333333333333:role/fintech-break-glass-2'})).toBe('denied by fintech-protect-prod-data DenyDeletingProdDataExceptBreakGlass')
    expect(decide({target: 'prod', action: 'rds:DeleteDBCluster', principal: 'arn:aws:iam::333333333333:role/ops/fintech-break-glass'})).toBe('denied by fintech-protect-prod-data DenyDeletingProdDataExceptBreakGlass')
  })

  it('leaves dev and test alone: their clusters are deleted by destroy and stopped by the nightly shutdown', () => {
    for (const env of ['dev', 'test'] as const) {
      for (const action of ['rds:DeleteDBCluster', 'dynamodb:DeleteTable', 'rds:StopDBCluster']) expect(decide({target: env, action, principal: deployRole(env)})).toBe('allowed')
    }
  })

  it('still lets the ledger deploy role roll out prod: UpdateService, cloudformation:*, the data tier', () => {
    const deployActions = [
      'ecs:UpdateService',
      'ecs:RegisterTaskDefinition',
      'ecs:DescribeServices',
      'cloudformation:CreateChangeSet',
      'cloudformation:ExecuteChangeSet',
      'cloudformation:DescribeStackEvents',
      'cloudformation:UpdateTerminationProtection',
      'cloudformation:SetStackPolicy',
      'rds:ModifyDBCluster',
      'rds:CreateDBInstance',
      // Deploys remove reader instances; the data stays in the cluster.
      'rds:DeleteDBInstance',
      'dynamodb:CreateTable',
      'dynamodb:UpdateTable',
      'iam:PassRole',
      'elasticloadbalancing:ModifyListener',
      'application-autoscaling:RegisterScalableTarget',
    ]
    for (const action of deployActions) expect(decide({target: 'account:prod', action, principal: deployRole('prod')}), action).toBe('allowed')
  })
})

describe('the break-glass role', () => {
  it.each(['dev', 'test', 'prod'] as const)('can do every emergency action in %s, in its region', (env) => {
    for (const action of BREAK_GLASS_ACTIONS) expect(decide({target: env, action, principal: breakGlass(env)}), action).toBe('allowed')
  })
})
