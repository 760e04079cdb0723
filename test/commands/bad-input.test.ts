import {beforeEach, describe, expect, it} from 'vitest'
import Deploy from '../../src/commands/deploy.js'
import Plan from '../../src/commands/plan.js'
import {cfn, resetAws, s3, sts} from '../helpers/aws-mocks.js'
import {CONFIG, makeProject} from '../helpers/project.js'
import {runCli} from '../helpers/run-cli.js'

beforeEach(() => {
  resetAws()
})

/** Every bad input exits 2 with a message naming what to fix, before any AWS call. */
async function expectRejected(argv: string[], ...messages: Array<string | RegExp>) {
  const run = await runCli(Deploy, argv)
  expect(run.exitCode).toBe(2)
  for (const message of messages) expect(run.stderr).toMatch(message)
  expect([...cfn.calls(), ...sts.calls(), ...s3.calls()]).toHaveLength(0)
}

describe('bad input', () => {
  it('an unknown stage lists the valid ones', async () => {
    await expectRejected(['--stage', 'databse', '--env', 'dev', '--config', makeProject()], 'unknown stage "databse" (--stage): use one of network, data, all')
  })

  it('an unknown env lists the valid ones', async () => {
    await expectRejected(['--stage', 'all', '--env', 'qa', '--config', makeProject()], 'unknown environment "qa" (--env): use one of dev, prod')
  })

  it('a missing template names the path', async () => {
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('templates/data.yaml', 'templates/dta.yaml')})
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], /template not found: .*templates\/dta\.yaml/)
  })

  it('a missing config file names the path', async () => {
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', '/nonexistent/fintech.config.yaml'], 'config file not found: /nonexistent/fintech.config.yaml')
  })

  it('malformed YAML in the config names the file and line', async () => {
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('  - name: data\n', '  - name: data\n   bad: [\n')})
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], /fintech\.config\.yaml:2[0-9]: /)
  })

  it('malformed YAML in a template names the template and line', async () => {
    const config = makeProject({'templates/vpc.yaml': 'Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n   Properties: {CidrBlock: 10.0.0.0/16}\n'})
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], /templates\/vpc\.yaml:4: All mapping items must start at the same column/)
  })

  it('a schema error names the key path and line', async () => {
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('account: "111111111111"', 'account: 1111')})
    await expectRejected(
      ['--stage', 'all', '--env', 'dev', '--config', config],
      /fintech\.config\.yaml:5: environments\.dev\.account: /,
    )
  })

  it('a missing required tag is a schema error on the env', async () => {
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('CostCenter: CC-1, ', '')})
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], /environments\.dev\.tags: required tag CostCenter is missing/)
  })

  it('a stack parameter the template does not declare names the config line', async () => {
    const config = makeProject({'fintech.config.yaml': CONFIG.replace('VpcId: {stackOutput: vpc.VpcId}', 'VpcId: {stackOutput: vpc.VpcId}\n          Subnet: subnet-1')})
    await expectRejected(
      ['--stage', 'all', '--env', 'dev', '--config', config],
      /fintech\.config\.yaml:2[0-9]: stages\[1\]\.stacks\[0\]\.parameters\.Subnet: templates\/data\.yaml declares no parameter Subnet/,
    )
  })

  it('a parameter-file key no template declares names the parameter file line', async () => {
    const config = makeProject({'params/dev.yaml': 'Cidr: 10.1.0.0/16\nCird: 10.2.0.0/16\n'})
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], 'params/dev.yaml:2: Cird: no template declares a parameter Cird')
  })

  it('a parameter without value or default is named', async () => {
    const config = makeProject({'params/dev.yaml': '{}\n'})
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], 'parameter Cidr of templates/vpc.yaml has no value and no default')
  })

  it('an output of a later stack is refused', async () => {
    const config = makeProject({
      'fintech.config.yaml': CONFIG.replace("template: templates/vpc.yaml\n", 'template: templates/vpc.yaml\n        parameters:\n          Cidr: {stackOutput: db.TableName}\n'),
    })
    await expectRejected(['--stage', 'all', '--env', 'dev', '--config', config], /"db" is deployed after this stack/)
  })

  it('keeps exit code 2 with --json and prints the error as JSON', async () => {
    const run = await runCli(Deploy, ['--stage', 'databse', '--env', 'dev', '--config', makeProject(), '--json'])
    expect(run.exitCode).toBe(2)
    expect(run.json.error.message).toContain('unknown stage "databse"')
  })

  it('an unknown flag is a usage error', async () => {
    const run = await runCli(Deploy, ['--stage', 'all', '--env', 'dev', '--stagee', 'x'])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain('--stagee')
  })
})

describe('fintech plan --offline', () => {
  it('lists resources and resolves parameters, showing outputs as placeholders, with no AWS call', async () => {
    const run = await runCli(Plan, ['--env', 'dev', '--config', makeProject(), '--offline', '--json'])

    expect(run.exitCode).toBe(0)
    expect([...cfn.calls(), ...sts.calls()]).toHaveLength(0)
    expect(run.json.mode).toBe('offline')
    const [network, data] = run.json.stages.map((stage: {stacks: unknown[]}) => stage.stacks[0])
    expect(network.parameters.Cidr).toEqual({value: '10.1.0.0/16', source: 'parameter-file'})
    expect(data.parameters.VpcId).toEqual({value: '<vpc.VpcId>', source: 'stack-output', placeholder: true})
    expect(data.parameters.TableName).toEqual({value: 'sessions', source: 'default'})
    expect(data.resources).toEqual([
      {logicalId: 'Sessions', type: 'AWS::DynamoDB::Table', stateful: true, deletionPolicy: 'Retain'},
      {logicalId: 'AppRole', type: 'AWS::IAM::Role', stateful: false},
    ])
  })
})
