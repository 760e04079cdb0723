import {basename} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {loadConfig} from '../../../src/core/config/load.js'
import {loadResourceSpec, type ResourceSpec} from '../../../src/core/validate/resource-spec.js'
import {validateProject} from '../../../src/core/validate/run-validate.js'
import {VPC_TEMPLATE, makeProject} from '../../helpers/project.js'

let spec: ResourceSpec
beforeAll(async () => {
  spec = await loadResourceSpec()
})

/** Contract and parse findings only: the test project's templates are minimal, not lint-clean. */
const validate = (files: Record<string, string>) =>
  validateProject({loaded: loadConfig(makeProject(files)), spec, securityRules: [], applySuppressions: (findings) => findings})
    .findings.filter((finding) => /^FT-(CON|YAML)-/.test(finding.ruleId))
    .map((finding) => [basename(finding.file) === 'fintech.config.yaml' ? 'fintech.config.yaml' : finding.file, finding.line, finding.ruleId, finding.message])

describe('stage contracts', () => {
  it('hold for the test project', () => {
    expect(validate({})).toEqual([])
  })

  it('fail when an output a later stage reads is removed from the earlier stage\'s template', () => {
    expect(validate({'templates/vpc.yaml': VPC_TEMPLATE.replace(/Outputs:[\s\S]*$/, '')})).toEqual([
      ['fintech.config.yaml', 25, 'FT-CON-002', 'templates/vpc.yaml (stack vpc) has no output VpcId'],
    ])
  })

  it('fail for a parameter that has no source in one env, naming the env', () => {
    expect(validate({'params/prod.yaml': '{}\n'})).toEqual([
      ['fintech.config.yaml', 19, 'FT-CON-001', 'prod: parameter Cidr of templates/vpc.yaml has no value and no default'],
    ])
  })

  it('fail for a parameter-file key no template of the env takes', () => {
    expect(validate({'params/dev.yaml': 'Cidr: 10.1.0.0/16\nCidrr: 10.2.0.0/16\n'})).toEqual([
      ['params/dev.yaml', 2, 'FT-CON-003', 'no template deployed to dev takes a parameter Cidrr'],
    ])
  })

  it('report a template that does not parse as a finding, not a crash', () => {
    expect(validate({'templates/extra/broken.yaml': 'Resources:\n  A:\n    Type: [\n'})).toEqual([
      ['templates/extra/broken.yaml', 4, 'FT-YAML-001', expect.stringContaining('')],
    ])
  })

  it('check parameter-file values against the template\'s constraints, at the parameter file\'s line', () => {
    const constrained = VPC_TEMPLATE.replace('  Cidr:\n    Type: String\n', "  Cidr:\n    Type: String\n    AllowedPattern: '\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+'\n")
    expect(validate({'templates/vpc.yaml': constrained, 'params/dev.yaml': '# dev\nCidr: ten-one\n'})).toEqual([
      ['params/dev.yaml', 2, 'FT-CON-001', 'dev: "ten-one" does not match the AllowedPattern of Cidr (\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+)'],
    ])
  })

  it('fail when a stack reads the output of a stack its env does not deploy', () => {
    const config = `environments:
  dev: {account: "111111111111", region: eu-west-1, parameterFile: params/dev.yaml, tags: {Environment: dev, CostCenter: c, Owner: o, Service: s, DataClassification: d}}
  prod: {account: "333333333333", region: eu-west-1, protected: true, parameterFile: params/prod.yaml, tags: {Environment: prod, CostCenter: c, Owner: o, Service: s, DataClassification: d}}
stages:
  - name: network
    stacks:
      - {id: vpc, template: templates/vpc.yaml, envs: [prod]}
  - name: data
    stacks:
      - id: db
        template: ./templates/data.yaml
        parameters: {VpcId: {stackOutput: vpc.VpcId}}
`
    expect(validate({'fintech.config.yaml': config, 'params/dev.yaml': '{}\n'})).toEqual([
      ['fintech.config.yaml', 12, 'FT-CON-002', 'dev: vpc is not deployed to dev, so vpc.VpcId never exists there'],
    ])
  })
})
