import {fileURLToPath} from 'node:url'
import {beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import {cfn, resetAws, sts} from '../helpers/aws-mocks.js'
import {runCli} from '../helpers/run-cli.js'

const CONFIG = fileURLToPath(new URL('../../fintech.config.yaml', import.meta.url))
const DEPLOY = ['--stage', 'all', '--env', 'dev', '--dry-run', '--offline', '--config', CONFIG]
const PLAN = ['--env', 'dev', '--offline', '--config', CONFIG]

beforeEach(() => {
  resetAws()
})

describe('fintech plan --offline and fintech deploy --dry-run --offline', () => {
  it('print the same plan of the shipped platform for dev, plan adding only its monthly estimate after it', async () => {
    const deploy = await runCli(Deploy, DEPLOY)
    const plan = await runCli(Plan, PLAN)

    expect([deploy.exitCode, plan.exitCode]).toEqual([0, 0])
    expect([...cfn.calls(), ...sts.calls()]).toHaveLength(0)
    expect(plan.stdout.startsWith(`${deploy.stdout.trimEnd()}\n\nMonthly estimate (USD`)).toBe(true)
    for (const stdout of [deploy.stdout, plan.stdout]) {
      // Dev's false conditions: out of the resource tables, under the stack's "not created" heading.
      expect(stdout).not.toMatch(/^ {4}(WebAcl|Distribution|NatGateway2|NatGateway3|AuroraReader1) /m)
      expect(stdout).toMatch(/^ {4}Not created in dev \(condition false\):\n(?: {6}.*\n)*? {6}WebAcl +AWS::WAFv2::WebACL +UseWaf$/m)
      expect(stdout).toMatch(/^ {6}Distribution +AWS::CloudFront::Distribution +UseCloudFront$/m)
      expect(stdout).toMatch(/^ {6}NatGateway3 +AWS::EC2::NatGateway +NatPerAz$/m)
      expect(stdout).toMatch(/^ {6}AuroraReader1 +AWS::RDS::DBInstance +HasReader1$/m)
    }
  })

  it('give the same JSON, plan adding only its estimate', async () => {
    const deploy = await runCli(Deploy, [...DEPLOY, '--json'])
    const plan = await runCli(Plan, [...PLAN, '--json'])

    const {estimate, ...planned} = plan.json
    expect(estimate.monthlyUsd).toBeGreaterThan(0)
    expect(planned).toEqual(deploy.json)
    const compute = deploy.json.stages[3].stacks[0]
    expect(compute.resources.map((resource: {logicalId: string}) => resource.logicalId)).not.toContain('WebAcl')
    expect(compute.notCreated.resources).toContainEqual({logicalId: 'WebAcl', type: 'AWS::WAFv2::WebACL', condition: 'UseWaf'})
    expect(compute.notCreated.outputs).toContainEqual({name: 'WebAclArn', condition: 'UseWaf'})
  })
})
