/**
 * The security services of the foundation stage as each env deploys them (parameters,
 * pseudo parameters and conditions resolved offline): what is on where, and which guardrail
 * each conformance-pack rule stands for.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {evaluateJob} from '../../src/core/cost/estimate.js'
import {desiredPolicies} from '../../src/core/scp/desired.js'
import {loadStatementMatcher} from '../../src/core/scp/evaluate.js'
import {simulateOffline} from '../../src/core/scp/simulate.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

type Resource = {Type: string; Properties: Record<string, any>}

function foundation(env: string): Record<string, Resource> {
  const loaded = loadConfig(`${root}/fintech.config.yaml`)
  const plan = planEnvironment(loaded, resolveEnv(loaded, env), loaded.config.stages)
  const job = plan.stages.find((stage) => stage.stage.name === 'foundation')!.jobs[0]!
  return evaluateJob(plan, job) as Record<string, Resource>
}

const features = (resources: Record<string, Resource>) =>
  Object.fromEntries((resources.ThreatDetector!.Properties.Features as Array<{Name: string; Status: string}>).map((feature) => [feature.Name, feature.Status]))

/** The ConfigRuleName and SourceIdentifier of each rule of a conformance pack's body. */
function packRules(body: string): Array<{name: string; source: string; guards: string}> {
  const rules: Array<{name: string; source: string; guards: string}> = []
  let guards = ''
  let name = ''
  for (const line of body.split('\n')) {
    const comment = /^\s*# (.*)$/.exec(line)
    if (comment) guards = comment[1]!
    const named = /ConfigRuleName: (\S+)/.exec(line)
    if (named) name = named[1]!
    const source = /SourceIdentifier: (\w+)/.exec(line)
    if (source) rules.push({name, source: source[1]!, guards})
  }
  return rules
}

describe('security services of the foundation stage', () => {
  for (const env of ['dev', 'test', 'prod']) {
    it(`${env}: GuardDuty, Security Hub with FSBP and PCI DSS of its region, Config through its service-linked role into the KMS-encrypted trail bucket`, () => {
      const resources = foundation(env)
      expect(resources.ThreatDetector!.Properties.Enable).toBe(true)
      expect(resources.SecurityHub!.Properties).toMatchObject({EnableDefaultStandards: false, ControlFindingGenerator: 'SECURITY_CONTROL'})
      // Standards ARNs are regional: the stack's own region goes in when CloudFormation resolves the Sub.
      expect([resources.FoundationalBestPracticesStandard, resources.PciDssStandard].map((standard) => standard!.Properties.StandardsArn)).toEqual([
        {'Fn::Sub': 'arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/aws-foundational-security-best-practices/v/1.0.0'},
        {'Fn::Sub': 'arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/pci-dss/v/4.0.1'},
      ])
      expect(resources.ConfigServiceLinkedRole!.Properties.AWSServiceName).toBe('config.amazonaws.com')
      expect(JSON.stringify(resources.ConfigRecorder!.Properties.RoleARN)).toContain('role/aws-service-role/config.amazonaws.com/')
      expect(resources.ConfigRecorder!.Properties.RecordingGroup).toEqual({AllSupported: true, IncludeGlobalResourceTypes: true})
      expect(resources.ConfigDeliveryChannel!.Properties).toMatchObject({S3BucketName: {Ref: 'TrailBucket'}, S3KeyPrefix: 'config', S3KmsKeyArn: {'Fn::GetAtt': ['LogsKey', 'Arn']}})
      expect(resources.FintechConformancePack!.Properties.ConformancePackName).toEqual({'Fn::Sub': 'fintech-${EnvironmentName}-guardrails'})
    })
  }

  it('keeps dev cheap with only the base GuardDuty sources; prod turns every protection on; Config records continuously everywhere', () => {
    const dev = foundation('dev')
    const prod = foundation('prod')
    for (const env of ['dev', 'test', 'prod']) expect(foundation(env).ConfigRecorder!.Properties.RecordingMode).toEqual({RecordingFrequency: 'CONTINUOUS'})
    expect(features(dev)).toEqual({S3_DATA_EVENTS: 'DISABLED', RDS_LOGIN_EVENTS: 'DISABLED', EBS_MALWARE_PROTECTION: 'DISABLED'})
    expect(features(foundation('test'))).toEqual({S3_DATA_EVENTS: 'ENABLED', RDS_LOGIN_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'DISABLED'})
    expect(features(prod)).toEqual({S3_DATA_EVENTS: 'ENABLED', RDS_LOGIN_EVENTS: 'ENABLED', EBS_MALWARE_PROTECTION: 'ENABLED'})
  })

  it('checks prod data protection with its own conformance pack in prod only', () => {
    expect(foundation('dev').ProdDataConformancePack).toBeUndefined()
    expect(foundation('test').ProdDataConformancePack).toBeUndefined()
    const rules = packRules(foundation('prod').ProdDataConformancePack!.Properties.TemplateBody)
    expect(rules.map((rule) => rule.source)).toEqual(['RDS_CLUSTER_DELETION_PROTECTION_ENABLED', 'DYNAMODB_TABLE_DELETION_PROTECTION_ENABLED', 'RDS_CLUSTER_MULTI_AZ_ENABLED'])
  })

  it('has a conformance-pack rule for each SCP that Config can see and each FT-SEC rule about a running resource', () => {
    const rules = [
      ...packRules(foundation('prod').FintechConformancePack!.Properties.TemplateBody),
      ...packRules(foundation('prod').ProdDataConformancePack!.Properties.TemplateBody),
    ]
    const body = `${foundation('prod').FintechConformancePack!.Properties.TemplateBody}${readFileSync(`${root}/templates/foundation/baseline.yaml`, 'utf8')}`
    // The region allow-list is enforced on requests (Config records one region) and leaving
    // the organization is an Organizations event, not a resource: neither has a Config rule.
    const scps = readdirSync(`${root}/templates/scp`).map((file) => `fintech-${file.replace('.json', '')}`)
    const withoutConfigRule = ['fintech-region-allow-list', 'fintech-deny-leave-organization']
    for (const scp of scps.filter((name) => !withoutConfigRule.includes(name))) expect(body, scp).toContain(`SCP ${scp}`)
    // FT-SEC-011 (DeletionPolicy) is a template attribute with no state in the account to record.
    const ftRules = ['001', '002', '003', '004', '005', '006', '007', '008', '009', '010', '012', '013', '014', '015'].map((id) => `FT-SEC-${id}`)
    for (const id of ftRules) expect(body, id).toContain(id)
    expect(new Set(rules.map((rule) => rule.name)).size).toBe(rules.length)
    expect(rules.find((rule) => rule.name === 'vpc-sg-open-only-to-authorized-ports')!.guards).toBe('FT-SEC-008: only the load balancer\'s 80 and 443 may face the internet')
  })

  it('creates the organization trail, multi-region and KMS-encrypted, in the management account only', () => {
    const management = foundation('management')
    expect(management.OrganizationTrail!.Properties).toMatchObject({
      TrailName: 'fintech-organization',
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: {'Fn::GetAtt': ['OrganizationTrailKey', 'Arn']},
    })
    for (const env of ['dev', 'test', 'prod']) {
      expect(Object.values(foundation(env)).filter((resource) => resource.Properties.IsOrganizationTrail === true)).toEqual([])
    }
  })
})

describe('rolling the security services out under the shipped SCPs', () => {
  /**
   * CloudFormation calls AWS with the deployer's credentials, so fintech-protect-security-services
   * applies to the baseline stack: these are the calls its security resources make.
   */
  async function decide(action: string, role: string) {
    const loaded = loadConfig(`${root}/fintech.config.yaml`)
    const result = simulateOffline(await loadStatementMatcher(), loaded.config, desiredPolicies(loaded), {target: 'prod', action, principal: `arn:aws:iam::333333333333:role/${role}`})
    return result.decision === 'allowed' ? 'allowed' : `denied by ${result.deniedBy!.policy}`
  }

  it('lets a deploy role create the detector, enable Security Hub and its standards, and put the conformance packs', async () => {
    for (const action of ['guardduty:CreateDetector', 'securityhub:EnableSecurityHub', 'securityhub:BatchEnableStandards', 'config:PutConformancePack', 'config:StartConfigurationRecorder', 'iam:CreateServiceLinkedRole']) {
      expect(await decide(action, 'fintech-deploy'), action).toBe('allowed')
    }
  })

  it('leaves creating the Config recorder and delivery channel, and changing the detector, to the break-glass role (docs/security-services.md)', async () => {
    for (const action of ['config:PutConfigurationRecorder', 'config:PutDeliveryChannel', 'guardduty:UpdateDetector']) {
      expect(await decide(action, 'fintech-deploy'), action).toBe('denied by fintech-protect-security-services')
      expect(await decide(action, 'fintech-break-glass'), action).toBe('allowed')
    }
  })
})

