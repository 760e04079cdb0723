/**
 * A NoEcho parameter's value is never printed, not even when it breaks the template's
 * constraints: validate, plan and deploy, in text and --json, with the bad value in the
 * parameter file, in the config, or coming from another stack's output.
 */
import {DescribeStacksCommand} from '@aws-sdk/client-cloudformation'
import {beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import Validate from '../../src/commands/validate.js'
import {cfn, resetAws, stack} from '../helpers/aws-mocks.js'
import {VPC_TEMPLATE, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

const VAULT_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  DbPassword: {Type: String, NoEcho: true, AllowedPattern: '[A-Za-z0-9]{12,}', Default: Abcdefghijkl0}
  Tier: {Type: String, NoEcho: true, AllowedValues: [gold, silver], Default: gold}
  PinCode: {Type: Number, NoEcho: true, Default: 1234}
  Port: {Type: Number, NoEcho: true, MaxValue: 65535, Default: 5432}
  Upstream: {Type: String, NoEcho: true, AllowedValues: [vpc-expected]}
Resources:
  Topic: {Type: AWS::SNS::Topic}
`

const config = (vaultParameters: string) => `polling: {initialMs: 1, maxMs: 2}
environments:
  dev:
    account: "111111111111"
    region: eu-west-1
    parameterFile: params/dev.yaml
    tags: {Environment: dev, CostCenter: CC-1, Owner: platform, Service: ledger, DataClassification: internal}
stages:
  - name: network
    stacks:
      - id: vpc
        template: templates/vpc.yaml
  - name: vault
    stacks:
      - id: vault
        template: templates/vault.yaml
        parameters:
          Upstream: {stackOutput: vpc.VpcId}
${vaultParameters}`

/** Each way a NoEcho value can be wrong, and where it is written. */
const CASES = [
  {name: 'breaks AllowedPattern (parameter file)', secret: 'hunter2-$ecret!', parameterFile: 'DbPassword: hunter2-$ecret!\n', inConfig: '', rule: 'AllowedPattern of DbPassword'},
  {name: 'breaks AllowedValues (parameter file)', secret: 'Platinum-Zq7', parameterFile: 'Tier: Platinum-Zq7\n', inConfig: '', rule: 'allowed value of Tier'},
  {name: 'is not a Number (config)', secret: 'Pin-Zq7x', parameterFile: '', inConfig: '          PinCode: Pin-Zq7x\n', rule: 'PinCode must be a number'},
  {name: 'is over MaxValue (config)', secret: '987654', parameterFile: '', inConfig: '          Port: "987654"\n', rule: 'Port must be at most 65535'},
]

const project = (parameterFile: string, inConfig: string) =>
  makeProject({
    'fintech.config.yaml': config(inConfig),
    'templates/vpc.yaml': VPC_TEMPLATE,
    'templates/vault.yaml': VAULT_TEMPLATE,
    'templates/data.yaml': undefined,
    'params/dev.yaml': `Cidr: 10.1.0.0/16\n${parameterFile}`,
  })

const printed = (run: {stdout: string; stderr: string}) => `${run.stdout}\n${run.stderr}`

beforeEach(() => {
  resetAws()
})

describe('a NoEcho value that breaks its constraints', () => {
  for (const {name, secret, parameterFile, inConfig, rule} of CASES) {
    for (const format of [[], ['--json']]) {
      it(`${name}: validate, plan and deploy ${format.join(' ') || '(text)'} report it without its value`, async () => {
        const configFile = project(parameterFile, inConfig)

        const validate = await runCli(Validate, ['--config', configFile, '--no-cfn-lint', ...format])
        expect(validate.exitCode).toBe(1)
        expect(printed(validate)).toContain(rule)
        expect(printed(validate)).not.toContain(secret)

        for (const command of [Plan, Deploy]) {
          const run = await runCli(command, ['--stage', 'all', '--env', 'dev', '--config', configFile, ...format])
          expect(run.exitCode, command.name).toBe(2)
          expect(printed(run), command.name).toContain(rule)
          expect(printed(run), command.name).not.toContain(secret)
        }
        expect(cfn.calls()).toHaveLength(0)
      })
    }
  }

  for (const format of [[], ['--json']]) {
    it(`from another stack's output, is refused by plan and deploy ${format.join(' ') || '(text)'} without its value`, async () => {
      const secret = 'vpc-0Zq7deadbeef'
      const configFile = project('', '')
      cfn.on(DescribeStacksCommand, {StackName: 'fintech-dev-network'}).resolves(stack('fintech-dev-network', 'CREATE_COMPLETE', {Outputs: [{OutputKey: 'VpcId', OutputValue: secret}]}))

      for (const command of [Plan, Deploy]) {
        const run = await runCli(command, ['--stage', 'vault', '--env', 'dev', '--config', configFile, ...format])
        expect(run.exitCode, command.name).toBe(1)
        expect(printed(run), command.name).toContain('the NoEcho value of Upstream is not an allowed value of Upstream (vpc-expected)')
        expect(printed(run), command.name).not.toContain(secret)
      }
    })
  }
})
