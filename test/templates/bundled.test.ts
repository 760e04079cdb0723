import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {offlinePlan} from '../../src/core/deploy/offline-plan.js'
import {planEnvironment} from '../../src/core/stages/plan.js'
import {resolveEnv} from '../../src/core/config/env.js'
import {loadResourceSpec} from '../../src/core/validate/resource-spec.js'
import {validateProject} from '../../src/core/validate/run-validate.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('the bundled platform', () => {
  // cfn-lint over every template takes some 20 s at rest, and more than vitest's 30 s on a loaded machine.
  it('passes cfn-lint, every template of the platform and of the fixtures (.cfnlintrc.yaml)', {timeout: 180_000}, () => {
    // execFileSync throws with cfn-lint's findings on any error or warning, failing the test with them.
    const output = execFileSync('cfn-lint', [], {cwd: root, encoding: 'utf8'})
    expect(output).toBe('')
  })

  for (const env of ['dev', 'test', 'prod']) {
    it(`plans offline for ${env}: every parameter resolved, no unknown key, stacks in stage order`, () => {
      const loaded = loadConfig(`${root}/fintech.config.yaml`)
      const plan = offlinePlan(planEnvironment(loaded, resolveEnv(loaded, env), loaded.config.stages))
      expect(plan.stages.map((stage) => stage.name)).toEqual(['foundation', 'networking', 'data', 'compute'])
      for (const stack of plan.stages.flatMap((stage) => stage.stacks)) {
        const recovery = stack.region !== plan.region
        expect(stack.stackName).toBe(`fintech-${env}-${stack.stage}${recovery ? '-recovery' : ''}`)
        expect(stack.region).toBe(recovery ? plan.recoveryRegion : plan.region)
        expect(stack.tags.Environment).toBe(env)
        expect(stack.resources.length).toBeGreaterThan(0)
      }
    })
  }

  it('deploys prod to its recovery region too: the baseline, network, data and a compute standby again, each after what it reads', () => {
    const loaded = loadConfig(`${root}/fintech.config.yaml`)
    const plan = offlinePlan(planEnvironment(loaded, resolveEnv(loaded, 'prod'), loaded.config.stages))
    expect(plan.recoveryRegion).toBe('us-east-1')
    expect(plan.stages.map((stage) => stage.stacks.map((stack) => `${stack.stackName} ${stack.region}`))).toEqual([
      ['fintech-prod-foundation eu-west-1', 'fintech-prod-foundation-recovery us-east-1'],
      ['fintech-prod-networking eu-west-1', 'fintech-prod-networking-recovery us-east-1'],
      ['fintech-prod-data eu-west-1', 'fintech-prod-data-recovery us-east-1'],
      ['fintech-prod-compute eu-west-1', 'fintech-prod-compute-recovery us-east-1'],
    ])
    const data = plan.stages[2]!.stacks
    expect(data[1]!.dependsOn).toEqual(['data'])
    // The primary data stack turns recovery on from the recovery baseline's outputs; dev and test leave them out.
    expect(Object.fromEntries(['RecoveryRegion', 'RecoveryDataKeyId', 'RedisBackupReplicaBucketName', 'RecoveryBackupVaultName'].map((name) => [name, data[0]!.parameters[name]?.value]))).toEqual({
      RecoveryRegion: '<baseline-recovery.Region>',
      RecoveryDataKeyId: '<baseline-recovery.DataKeyId>',
      RedisBackupReplicaBucketName: '<baseline-recovery.RedisBackupReplicaBucketName>',
      RecoveryBackupVaultName: '<baseline-recovery.BackupVaultName>',
    })
    const dev = offlinePlan(planEnvironment(loaded, resolveEnv(loaded, 'dev'), loaded.config.stages))
    const devData = dev.stages[2]!.stacks[0]!
    const devRecovery = Object.entries(devData.parameters).filter(([name]) => name.startsWith('Recovery') || name.startsWith('RedisBackupReplica'))
    expect(devRecovery.map(([name, parameter]) => [name, parameter.value, parameter.source])).toEqual([
      ['RecoveryRegion', '', 'default'],
      ['RecoveryDataKeyId', '', 'default'],
      ['RedisBackupReplicaBucketName', '', 'default'],
      ['RecoveryBackupVaultName', '', 'default'],
    ])
    expect(devData.resources.map((resource) => resource.type)).toContain('AWS::DynamoDB::Table')
  })

  it('protects prod and the organization\'s management account, and nothing else', () => {
    const loaded = loadConfig(`${root}/fintech.config.yaml`)
    expect(Object.entries(loaded.config.environments).filter(([, env]) => env.protected).map(([name]) => name).sort()).toEqual(['management', 'prod'])
  })

  it('deploys only the organization to the management account', () => {
    const loaded = loadConfig(`${root}/fintech.config.yaml`)
    const plan = offlinePlan(planEnvironment(loaded, resolveEnv(loaded, 'management'), loaded.config.stages))
    expect(plan.stages.map((stage) => stage.stacks.map((stack) => stack.stackName))).toEqual([['fintech-management-foundation']])
    expect(plan.stages[0]!.stacks[0]!.resources.map((resource) => resource.type)).toEqual(
      expect.arrayContaining(['AWS::Organizations::OrganizationalUnit']),
    )
  })

  it('passes fintech validate with no finding at all (built-in checks, security rules, stage contracts)', async () => {
    const [{securityRules}, {applySuppressions}] = await Promise.all([import('../../src/core/validate/security/index.js'), import('../../src/core/validate/suppress.js')])
    const result = validateProject({loaded: loadConfig(`${root}/fintech.config.yaml`), spec: await loadResourceSpec(), securityRules, applySuppressions})
    expect(result.findings.map((finding) => `${finding.file}:${finding.line} ${finding.ruleId} ${finding.message}`)).toEqual([])
    expect(result.templates).toContain('templates/shutdown/scheduler.yaml')
    expect(result.templates).toHaveLength(9)
  })
})
