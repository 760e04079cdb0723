import {describe, expect, it} from 'vitest'
import {parseRunbook} from '../../../src/core/runbook/load.js'
import {exportSsm} from '../../../src/core/runbook/ssm.js'

const runbook = (steps: string) => {
  const read = parseRunbook(`name: sample\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: routine\nenvs: [dev]\nparameters:\n  size: {type: number, default: 2, description: n}\n  mode: {type: enum, values: [a, b], default: a, description: m}\nsteps:\n${steps}prose: p\n`, 'runbooks/sample.yaml')
  expect(read.problems).toEqual([])
  return read.runbook!
}

describe('SSM Automation export', () => {
  it('maps retries, onFailure, timeout and end onto SSM step options, and parameters onto typed document parameters', () => {
    const exported = exportSsm(
      runbook(`  - {name: scale-up, kind: aws, service: ecs, api: UpdateService, parameters: {desiredCount: '{{ params.size }}'}, retries: 2, timeout: 30, onFailure: 'step:tidy-up', end: true}
  - {name: tidy-up, kind: aws, service: ecs, api: UpdateService, onFailure: continue, outputs: {Arn: $.service.serviceArn}}
  - {name: report, kind: approve, summary: 'scaled {{ steps.tidy-up.outputs.Arn }}'}
`),
    )
    expect(exported.unmappable).toEqual([])
    expect(exported.document?.mainSteps).toEqual([
      {name: 'scale_up', action: 'aws:executeAwsApi', onFailure: 'step:tidy_up', maxAttempts: 3, timeoutSeconds: 30, isEnd: true, inputs: {Service: 'ecs', Api: 'UpdateService', desiredCount: '{{ size }}'}},
      {name: 'tidy_up', action: 'aws:executeAwsApi', onFailure: 'Continue', inputs: {Service: 'ecs', Api: 'UpdateService'}, outputs: [{Name: 'Arn', Selector: '$.service.serviceArn', Type: 'String'}]},
      {name: 'report', action: 'aws:approve', inputs: {Approvers: ['{{ Approvers }}'], Message: 'scaled {{ tidy_up.Arn }}', MinRequiredApprovals: 1}},
    ])
    expect(exported.document?.parameters).toEqual({
      AutomationAssumeRole: {type: 'String', description: 'The IAM role the automation assumes.', default: '', allowedPattern: '^$|^arn:aws[a-z0-9-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@/_-]+$'},
      size: {type: 'Integer', description: 'n', default: 2},
      mode: {type: 'String', description: 'm', default: 'a', allowedValues: ['a', 'b']},
      Approvers: {type: 'StringList', description: 'IAM users or roles that may approve the approval steps.'},
    })
  })

  it('exports no secret: a step with secret outputs and a secret parameter are unmappable, a secret read with no outputs maps', () => {
    const read = parseRunbook(
      `name: sample\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: routine\nenvs: [dev]\nparameters:\n  apiKey: {type: string, description: k, secret: true}\nsteps:
  - {name: current, kind: aws, service: secretsmanager, api: GetSecretValue, parameters: {SecretId: a}, outputs: {password: $.SecretString}}
  - {name: marked, kind: aws, service: ecs, api: DescribeServices, outputs: {arn: {selector: '$.services[0].serviceArn', secret: true}}}
  - {name: exists, kind: aws, service: secretsmanager, api: GetSecretValue, parameters: {SecretId: a}}
prose: p\n`,
      'runbooks/sample.yaml',
    )
    expect(read.problems).toEqual([])
    const exported = exportSsm(read.runbook!)
    expect(exported.document).toBeUndefined()
    expect(exported.unmappable).toEqual([
      {step: 'apiKey', kind: 'parameter', reason: "SSM Automation keeps parameter values in clear in the execution's details, and a document parameter cannot be a SecureString: pass the SecureString parameter's name instead"},
      {step: 'current', kind: 'aws', reason: "SSM Automation keeps step outputs in clear in the execution's details (there is no secret output type): read the secret inside the step that uses it instead"},
      {step: 'marked', kind: 'aws', reason: "SSM Automation keeps step outputs in clear in the execution's details (there is no secret output type): read the secret inside the step that uses it instead"},
    ])
  })
})
