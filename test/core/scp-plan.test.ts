/**
 * planGuardrails on organizations read through the real adapter from an in-memory organization:
 * target resolution (nested OUs, accounts), the guards on their own (without scp validate in
 * front of them), what needs approval, and what is only a note.
 */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {createOrganizationsApi} from '../../src/aws/organizations.js'
import {loadConfig, type LoadedConfig} from '../../src/core/config/load.js'
import {desiredPolicies, type DesiredPolicy} from '../../src/core/scp/desired.js'
import {readPolicyDocument} from '../../src/core/scp/document.js'
import {loadStatementMatcher, type StatementMatcher} from '../../src/core/scp/evaluate.js'
import {readOrganization} from '../../src/core/scp/live.js'
import {planGuardrails} from '../../src/core/scp/plan.js'
import {ACCOUNT, FakeOrganization, OU, ROOT, fixtureOrganization, orgs} from '../fixtures/scp/fake-organization.js'
import {makeProject} from '../helpers/project.js'

const fixture = (path: string) => readFileSync(fileURLToPath(new URL(`../fixtures/scp/${path}`, import.meta.url)), 'utf8')
const CONFIG = fixture('fintech.config.yaml')
const DENY_LEAVE = fixture('templates/scp/deny-leave-organization.json')
const PROTECT_PROD = fixture('templates/scp/protect-prod-data.json')
const minified = (text: string) => JSON.stringify(JSON.parse(text))
const DENY_ALL = '{"Version":"2012-10-17","Statement":[{"Sid":"Lockout","Effect":"Deny","Action":"*","Resource":"*"}]}'

const load = (config = CONFIG) =>
  loadConfig(makeProject({'fintech.config.yaml': config, 'templates/scp/deny-leave-organization.json': DENY_LEAVE, 'templates/scp/protect-prod-data.json': PROTECT_PROD, 'templates/data.yaml': undefined}))

let matcher: StatementMatcher
let org: FakeOrganization
beforeAll(async () => {
  matcher = await loadStatementMatcher()
})
beforeEach(() => {
  orgs.reset()
  org = fixtureOrganization().install()
  org.enabledTypes.add('TAG_POLICY')
})

async function plan(loaded: LoadedConfig, desired: DesiredPolicy[] = desiredPolicies(loaded)) {
  const live = await readOrganization(await createOrganizationsApi({region: 'us-east-1'}), loaded, desired)
  return planGuardrails({config: loaded.config, desired, live, matcher})
}

/** The config's policies with one SCP's content replaced, as if scp validate had not been run. */
function withContent(desired: DesiredPolicy[], name: string, content: string): DesiredPolicy[] {
  return desired.map((policy) => (policy.name === name ? {...policy, content, document: readPolicyDocument(JSON.parse(content)).document} : policy))
}

describe('planGuardrails', () => {
  it('refuses to attach a Deny of everything to the root, even when scp validate was skipped', async () => {
    const loaded = load()
    const result = await plan(loaded, withContent(desiredPolicies(loaded), 'fintech-deny-leave-organization', DENY_ALL))
    expect(result.refusals.filter((refusal) => refusal.guard === 'no-deny-all-at-the-top')).toEqual([
      {guard: 'no-deny-all-at-the-top', message: 'fintech-deny-leave-organization denies everything (Lockout: an ordinary role is refused every everyday action tried) and would be attached to the root, reaching every account'},
    ])
  })

  it.each([
    ['a Deny of * that exempts only the break-glass role', {Sid: 'AllButBreakGlass', Effect: 'Deny', Action: '*', Resource: '*', Condition: {ArnNotLike: {'aws:PrincipalArn': 'arn:aws:iam::*:role/fintech-break-glass'}}}],
    ['a Deny of * on Resource arn:*', {Sid: 'EveryArn', Effect: 'Deny', Action: '*', Resource: 'arn:*'}],
    ['a Deny of * outside a dummy NotResource', {Sid: 'AllButDummy', Effect: 'Deny', Action: '*', NotResource: 'arn:aws:s3:::no-such-bucket'}],
    ['a Deny of * under an always-true condition', {Sid: 'NoVpc', Effect: 'Deny', Action: '*', Resource: '*', Condition: {StringNotEquals: {'aws:SourceVpc': 'vpc-00000000'}}}],
  ])('refuses %s at the root: what counts is what it denies, not its shape', async (_, statement) => {
    const loaded = load()
    const content = JSON.stringify({Version: '2012-10-17', Statement: [statement]})
    const result = await plan(loaded, withContent(desiredPolicies(loaded), 'fintech-deny-leave-organization', content))
    expect(result.refusals.filter((refusal) => refusal.guard === 'no-deny-all-at-the-top')).toEqual([
      {
        guard: 'no-deny-all-at-the-top',
        message: `fintech-deny-leave-organization denies everything (${statement.Sid}: an ordinary role is refused every everyday action tried) and would be attached to the root, reaching every account`,
      },
    ])
  })

  it('lets a Deny of * on one bucket, or on everyday actions but one, reach the root', async () => {
    const loaded = load()
    const narrow = [
      {Sid: 'AuditBucket', Effect: 'Deny', Action: '*', Resource: ['arn:aws:s3:::audit-bucket', 'arn:aws:s3:::audit-bucket/*']},
      {Sid: 'AllButLogs', Effect: 'Deny', NotAction: 'logs:*', Resource: '*', Condition: {StringNotEquals: {'aws:RequestedRegion': 'eu-west-1'}}},
    ]
    const content = JSON.stringify({Version: '2012-10-17', Statement: narrow})
    const result = await plan(loaded, withContent(desiredPolicies(loaded), 'fintech-deny-leave-organization', content))
    expect(result.refusals.filter((refusal) => refusal.guard === 'no-deny-all-at-the-top')).toEqual([])
  })

  it('refuses an update that turns an attached policy into a Deny of everything at the management account', async () => {
    const loaded = load(CONFIG.replace('targets: [root]\n    - name: fintech-protect-prod-data', 'targets: [account:management]\n    - name: fintech-protect-prod-data'))
    org.addPolicy({name: 'fintech-deny-leave-organization', description: 'Accounts cannot leave the organization.', content: minified(DENY_LEAVE), tags: {'fintech:managed': 'true'}}, ['444444444444'])
    const result = await plan(loaded, withContent(desiredPolicies(loaded), 'fintech-deny-leave-organization', DENY_ALL))
    expect(result.changes.filter((change) => 'policy' in change && change.policy === 'fintech-deny-leave-organization').map((change) => change.action)).toEqual(['update'])
    expect(result.refusals).toEqual([
      {guard: 'no-deny-all-at-the-top', message: 'fintech-deny-leave-organization denies everything (Lockout: an ordinary role is refused every everyday action tried) and would be attached to the management account'},
    ])
  })

  it('leaves alone what it does not change: someone else\'s Deny at the root, a break-glass denial that is already there (a note)', async () => {
    org.addPolicy({name: 'legacy-deny-all', content: DENY_ALL}, [ROOT])
    const result = await plan(load())
    expect(result.refusals).toEqual([])
    expect(result.notes).toEqual([
      expect.stringMatching(/^already now, not through this plan: rds:DeleteDBCluster, .* are denied to arn:aws:iam::111111111111:role\/fintech-break-glass in dev by legacy-deny-all \(Lockout\) at root$/),
      expect.stringMatching(/^already now, not through this plan: .* in prod by legacy-deny-all \(Lockout\) at root$/),
    ])
  })

  it('asks approval only for changes that reach a protected env', async () => {
    org.addPolicy({name: 'fintech-deny-leave-organization', description: 'Accounts cannot leave the organization.', content: minified(DENY_LEAVE), tags: {'fintech:managed': 'true'}}, [ROOT, OU.dev])
    org.addPolicy({name: 'fintech-protect-prod-data', description: 'Prod data is deleted only by the break-glass role.', content: minified(PROTECT_PROD), tags: {'fintech:managed': 'true'}}, [OU.prod])
    const loaded = load()
    const tagPolicy = desiredPolicies(loaded).find((policy) => policy.type === 'TAG_POLICY')!
    org.addPolicy({name: tagPolicy.name, description: tagPolicy.description, type: 'TAG_POLICY', content: tagPolicy.content, tags: {'fintech:managed': 'true'}}, [ROOT])
    const devOnly = await plan(loaded)
    expect(devOnly.changes.map((change) => change.action)).toEqual(['detach'])
    expect(devOnly.approval).toEqual({required: false, reasons: []})

    org.byName('fintech-deny-leave-organization')!.content = minified(DENY_LEAVE).replace('DenyLeavingTheOrganization', 'Renamed')
    const rootUpdate = await plan(loaded)
    expect(rootUpdate.approval.reasons).toEqual(['update SCP fintech-deny-leave-organization: content: reaches prod (protected)'])
  })

  it('finds OUs by name anywhere under the root and evaluates the whole chain, nested OUs included', async () => {
    orgs.reset()
    org = new FakeOrganization().addOu('ou-ab12-workload', 'Workloads').addOu(OU.prod, 'Prod', 'ou-ab12-workload').addOu(OU.dev, 'Dev').addAccount(ACCOUNT.prod, OU.prod).addAccount(ACCOUNT.dev, OU.dev).install()
    org.enabledTypes.add('TAG_POLICY')
    org.addPolicy({name: 'workloads-deny-ecs', content: '{"Version":"2012-10-17","Statement":[{"Sid":"NoEcs","Effect":"Deny","Action":"ecs:UpdateService","Resource":"*"}]}'}, ['ou-ab12-workload'])
    const result = await plan(load())
    expect(result.changes.filter((change) => change.action === 'attach').map((change) => 'target' in change && change.target)).toEqual([
      {id: ROOT, label: 'root'},
      {id: OU.prod, label: 'ou:Prod'},
      {id: ROOT, label: 'root'},
    ])
    expect(result.notes).toEqual([
      'already now, not through this plan: ecs:UpdateService is denied to arn:aws:iam::333333333333:role/fintech-break-glass in prod by workloads-deny-ecs (NoEcs) at ou:Workloads',
    ])
  })

  it('refuses OU names that are ambiguous, and accounts outside the organization, at their config line', async () => {
    org.addOu('ou-ab12-prod0002', 'Prod', OU.dev)
    await expect(plan(load())).rejects.toThrow(/fintech\.config\.yaml:\d+: guardrails\.scps\[1\]\.targets\[0\]: 2 OUs are called Prod \(ou-ab12-prod0001, ou-ab12-prod0002\): fintech resolves OUs by name, so names must be unique/)
    org.ous.delete('ou-ab12-prod0002')
    await expect(plan(load(CONFIG.replace('targets: [ou:Prod]', 'targets: [account:999999999999]')))).rejects.toThrow(/guardrails\.scps\[1\]\.targets\[0\]: account 999999999999 is not in organization o-fake/)
  })

  it('attaches to an account named by its env', async () => {
    const result = await plan(load(CONFIG.replace('targets: [ou:Prod]', 'targets: [account:prod]')))
    expect(result.changes.find((change) => change.action === 'attach' && change.policy === 'fintech-protect-prod-data')).toMatchObject({target: {id: ACCOUNT.prod, label: 'account:prod (333333333333)'}})
  })
})
