/**
 * `fintech scp` against moto_server: an organization with OUs Dev, Test and Prod and an account
 * in each, created in the emulator; the built CLI applies the repository's own guardrails
 * (templates/scp/ and the generated tag policy) as its management account, and the test reads
 * the attachments back from the emulator. A second apply changes nothing.
 */
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  DescribePolicyCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations'
import {cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {ACCOUNT as MOTO_ACCOUNT, errorText, explain, REGION, REPO_ROOT, useMoto} from './moto.js'

const context = useMoto()
let client: OrganizationsClient | undefined
const orgs = () => (client ??= new OrganizationsClient({endpoint: context.moto.endpoint, region: REGION, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}, maxAttempts: 2}))
afterAll(() => client?.destroy())

const SCP_FILES = readdirSync(join(REPO_ROOT, 'templates/scp')).filter((name) => name.endsWith('.json'))
const minified = (file: string) => JSON.stringify(JSON.parse(readFileSync(join(REPO_ROOT, 'templates/scp', file), 'utf8')))

interface Organization {
  root: string
  ous: Record<'Dev' | 'Test' | 'Prod', string>
  accounts: Record<'dev' | 'test' | 'prod', string>
}

/** The organization before any guardrail: created by moto's account, which is its management account. */
async function createOrganization(): Promise<Organization> {
  await orgs().send(new CreateOrganizationCommand({FeatureSet: 'ALL'}))
  const {Roots} = await orgs().send(new ListRootsCommand({}))
  const root = Roots![0]!.Id!
  const ous = {} as Organization['ous']
  const accounts = {} as Organization['accounts']
  for (const [env, ou] of [['dev', 'Dev'], ['test', 'Test'], ['prod', 'Prod']] as const) {
    const {OrganizationalUnit} = await orgs().send(new CreateOrganizationalUnitCommand({ParentId: root, Name: ou}))
    ous[ou] = OrganizationalUnit!.Id!
    const {CreateAccountStatus} = await orgs().send(new CreateAccountCommand({AccountName: `fintech-${env}`, Email: `fintech-${env}@example.com`}))
    accounts[env] = CreateAccountStatus!.AccountId!
    await orgs().send(new MoveAccountCommand({AccountId: accounts[env], SourceParentId: root, DestinationParentId: ous[ou]}))
  }
  return {root, ous, accounts}
}

const TAGS = (env: string, classification: string) => `{Environment: ${env}, CostCenter: CC-4100, Owner: platform-engineering, Service: fintech-platform, DataClassification: ${classification}}`

/** A copy of the repository's guardrails whose management account is moto's, in the test's scratch folder. */
function writeProject(organization: Organization, edit: (config: string) => string = (config) => config): string {
  mkdirSync(join(context.dir, 'templates'), {recursive: true})
  cpSync(join(REPO_ROOT, 'templates/scp'), join(context.dir, 'templates/scp'), {recursive: true})
  const real = readFileSync(join(REPO_ROOT, 'fintech.config.yaml'), 'utf8')
  const guardrails = real.slice(real.indexOf('guardrails:'), real.indexOf('\nstages:'))
  const config = `project: fintech
environments:
  management:
    account: "${MOTO_ACCOUNT}"
    region: ${REGION}
    protected: true
    tags: ${TAGS('management', 'confidential')}
  dev:
    account: "${organization.accounts.dev}"
    region: eu-west-1
    ou: Dev
    tags: ${TAGS('dev', 'internal')}
  test:
    account: "${organization.accounts.test}"
    region: eu-west-1
    ou: Test
    tags: ${TAGS('test', 'confidential')}
  prod:
    account: "${organization.accounts.prod}"
    region: eu-west-1
    ou: Prod
    protected: true
    tags: ${TAGS('prod', 'restricted')}
${guardrails}
stages:
  - name: network
    stacks:
      - {id: vpc, template: templates/vpc.yaml}
`
  const path = join(context.dir, 'fintech.config.yaml')
  writeFileSync(path, edit(config))
  return path
}

async function attached(target: string, type: 'SERVICE_CONTROL_POLICY' | 'TAG_POLICY' = 'SERVICE_CONTROL_POLICY'): Promise<string[]> {
  const {Policies} = await orgs().send(new ListPoliciesForTargetCommand({TargetId: target, Filter: type}))
  return (Policies ?? []).map((policy) => policy.Name!).sort()
}

async function policyNamed(name: string, type: 'SERVICE_CONTROL_POLICY' | 'TAG_POLICY' = 'SERVICE_CONTROL_POLICY') {
  const {Policies} = await orgs().send(new ListPoliciesCommand({Filter: type}))
  const summary = Policies!.find((policy) => policy.Name === name)
  if (!summary) return undefined
  const [{Policy}, {Tags}] = await Promise.all([orgs().send(new DescribePolicyCommand({PolicyId: summary.Id})), orgs().send(new ListTagsForResourceCommand({ResourceId: summary.Id}))])
  return {id: summary.Id!, content: Policy!.Content!, description: summary.Description, tags: Tags}
}

const ROOT_SCPS = ['FullAWSAccess', 'fintech-deny-leave-organization', 'fintech-deny-root-user', 'fintech-protect-security-services', 'fintech-region-allow-list', 'fintech-require-encryption']
let organization: Organization

beforeEach(async () => {
  organization = await createOrganization()
})

describe('fintech scp against moto_server', {timeout: 90_000}, () => {
  it('applies the guardrails: policies created, tagged and attached where the config says; a second apply is a no-op', async () => {
    const config = writeProject(organization)
    const run = await context.run(['scp', 'apply', '--config', config, '--yes', '--json'])
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.changes.map((change: {action: string}) => change.action)).toEqual([
      'enable-policy-type',
      'enable-policy-type',
      ...Array(7).fill('create'),
      ...Array(7).fill('attach'),
    ])

    expect(await attached(organization.root)).toEqual(ROOT_SCPS)
    expect(await attached(organization.ous.Prod)).toEqual(['FullAWSAccess', 'fintech-protect-prod-data'])
    expect(await attached(organization.ous.Dev)).toEqual(['FullAWSAccess'])
    expect(await attached(organization.ous.Test)).toEqual(['FullAWSAccess'])
    expect(await attached(organization.accounts.prod)).toEqual(['FullAWSAccess'])
    expect(await attached(organization.root, 'TAG_POLICY')).toEqual(['fintech-required-tags'])
    for (const file of SCP_FILES) {
      const name = `fintech-${file.replace('.json', '')}`
      expect(await policyNamed(name), name).toMatchObject({content: minified(file), tags: [{Key: 'fintech:managed', Value: 'true'}]})
    }
    const tagPolicy = await policyNamed('fintech-required-tags', 'TAG_POLICY')
    expect(JSON.parse(tagPolicy!.content).tags.environment).toEqual({
      tag_key: {'@@assign': 'Environment'},
      tag_value: {'@@assign': ['management', 'dev', 'test', 'prod']},
      enforced_for: {'@@assign': ['dynamodb:table', 'ec2:instance', 'ec2:volume', 'rds:cluster', 'rds:db', 's3:bucket', 'secretsmanager:*']},
    })
    const {Roots} = await orgs().send(new ListRootsCommand({}))
    expect(Roots![0]!.PolicyTypes!.map((type) => type.Type).sort()).toEqual(['SERVICE_CONTROL_POLICY', 'TAG_POLICY'])
    expect(run.audit.map((line) => line.action)).toEqual([
      'organizations-enable-policy-type',
      'organizations-enable-policy-type',
      ...Array(6).fill('scp-create'),
      'tag-policy-create',
      ...Array(6).fill('scp-attach'),
      'tag-policy-attach',
    ])
    expect(run.audit.every((line) => line.result === 'ok' && line.env === 'management' && line.caller.includes(MOTO_ACCOUNT))).toBe(true)

    const again = await context.run(['scp', 'apply', '--config', config, '--json'])
    expect(again.exitCode, explain(again)).toBe(0)
    expect(again.json).toMatchObject({changes: [], refusals: [], approval: {required: false, outcome: 'not-needed'}, results: []})
    expect(again.json.unchanged).toHaveLength(7)
    expect(again.audit).toHaveLength(run.audit.length)
    expect(await attached(organization.root)).toEqual(ROOT_SCPS)
  })

  it('plans and applies a changed policy and a new target: the content diff, then the emulator updated', async () => {
    const config = writeProject(organization)
    expect((await context.run(['scp', 'apply', '--config', config, '--yes'])).exitCode).toBe(0)
    writeProject(organization, (text) => text.replace('targets: [ou:Prod]', 'targets: [ou:Prod, ou:Test]'))
    const regions = join(context.dir, 'templates/scp/region-allow-list.json')
    writeFileSync(regions, readFileSync(regions, 'utf8').replace('"us-east-1"', '"us-east-1",\n            "eu-west-2"'))

    const plan = await context.run(['scp', 'plan', '--config', config])
    expect(plan.exitCode, explain(plan)).toBe(0)
    expect(plan.stdout).toContain('  ~ update SCP fintech-region-allow-list: content')
    expect(plan.stdout).toMatch(/ {6}- +"us-east-1"\n {6}\+ +"us-east-1",\n {6}\+ +"eu-west-2"/)
    expect(plan.stdout).toContain('  > attach SCP fintech-protect-prod-data to ou:Test')

    const apply = await context.run(['scp', 'apply', '--config', config, '--yes', '--json'])
    expect(apply.exitCode, explain(apply)).toBe(0)
    expect(apply.json.results.map((result: {change: string}) => result.change)).toEqual(['update SCP fintech-region-allow-list: content', 'attach SCP fintech-protect-prod-data to ou:Test'])
    expect((await policyNamed('fintech-region-allow-list'))!.content).toContain('"eu-west-1","us-east-1","eu-west-2"')
    expect(await attached(organization.ous.Test)).toEqual(['FullAWSAccess', 'fintech-protect-prod-data'])
  })

  it('refuses bad input with exit 2 and leaves the emulator as it was: an unknown OU, a missing file, no approval', async () => {
    const unknownOu = writeProject(organization, (text) => text.replace('targets: [ou:Prod]', 'targets: [ou:Staging]'))
    const run = await context.run(['scp', 'apply', '--config', unknownOu, '--yes'])
    expect(run.exitCode, explain(run)).toBe(2)
    expect(errorText(run.stderr)).toMatch(/guardrails\.scps\[5\]\.targets\[0\]: no OU called Staging in organization o-\w+ \(its OUs: Dev, Test, Prod\)/)

    const missing = writeProject(organization, (text) => text.replace('templates/scp/protect-prod-data.json', 'templates/scp/protect-prod.json'))
    const noFile = await context.run(['scp', 'apply', '--config', missing, '--yes'])
    expect(noFile.exitCode, explain(noFile)).toBe(2)
    expect(errorText(noFile.stderr)).toContain('policy file templates/scp/protect-prod.json of fintech-protect-prod-data not found')

    const unapproved = await context.run(['scp', 'apply', '--config', writeProject(organization)])
    expect(unapproved.exitCode, explain(unapproved)).toBe(2)
    expect(unapproved.stdout).toContain('and there is no terminal to ask: review with --dry-run, then re-run with --yes. Nothing was changed.')

    const {Policies} = await orgs().send(new ListPoliciesCommand({Filter: 'SERVICE_CONTROL_POLICY'}))
    expect(Policies!.map((policy) => policy.Name)).toEqual(['FullAWSAccess'])
    expect(await attached(organization.root)).toEqual(['FullAWSAccess'])
    expect([...run.audit, ...noFile.audit, ...unapproved.audit]).toEqual([])
  })
})
