import {describe, expect, it} from 'vitest'
import {parseRunbook} from '../../../src/core/runbook/load.js'
import {API_SCRIPT, CLOCK_SCRIPT, RUN_SCRIPT} from '../../../src/core/runbook/ssm-python.js'
import {REDIS_STATUS_SCRIPT} from '../../../src/core/runbook/ssm-redis.js'
import {exportSsm} from '../../../src/core/runbook/ssm.js'

/** How each construct the export used to refuse (relative times, output defaults, shell values, redis) maps now, and what still does not. */

const runbook = (steps: string, parameters = '  size: {type: number, default: 2, description: n}\n  mode: {type: enum, values: [a, b], default: a, description: m}\n') => {
  const read = parseRunbook(`name: sample\ntitle: t\ndescription: d\nwhenToUse: w\nseverity: routine\nenvs: [dev]\nparameters:\n${parameters}steps:\n${steps}prose: p\n`, 'runbooks/sample.yaml')
  expect(read.problems).toEqual([])
  return read.runbook!
}

describe('SSM export of shell and redis steps', () => {
  it('runs a shell step without values as runCommand on the instances of its tag and of the env, redis status through the runner, calls another runbook as fintech-NAME', () => {
    const exported = exportSsm(
      runbook(`  - {name: uptime, kind: shell, command: uptime, instanceTag: {key: 'fintech:component', value: redis}}
  - {name: sentinel, kind: redis, operation: status, instanceTag: {key: 'fintech:component', value: redis}}
  - {name: nested, kind: runbook, runbook: other, parameters: {size: 3}}
`),
    )
    const [uptime, sentinel, nested] = exported.document!.mainSteps
    expect([uptime!.action, uptime!.inputs]).toEqual([
      'aws:runCommand',
      {DocumentName: 'AWS-RunShellScript', Targets: [{Key: 'tag:fintech:component', Values: ['redis']}, {Key: 'tag:Environment', Values: ['{{ Environment }}']}], Parameters: {commands: ['uptime']}},
    ])
    expect(sentinel!.action).toBe('aws:executeScript')
    expect(sentinel!.inputs).toMatchObject({Runtime: 'python3.11', Handler: 'run', InputPayload: {command: REDIS_STATUS_SCRIPT, env: {SENTINEL_PORT: '{{ SentinelPort }}', MASTER_NAME: '{{ RedisMasterName }}'}, tagKey: 'fintech:component', tagValue: 'redis', environment: '{{ Environment }}', oneInstance: true}})
    // The master name is a value the script reads, never text in it.
    expect(REDIS_STATUS_SCRIPT).not.toMatch(/\{\{/)
    expect([nested!.action, nested!.inputs]).toEqual(['aws:executeAutomation', {DocumentName: 'fintech-other', RuntimeParameters: {size: [3]}}])
    expect(exported.document?.parameters).toMatchObject({
      Environment: {type: 'String', allowedValues: ['dev']},
      SentinelPort: {type: 'String', default: '26379', allowedPattern: '^[0-9]{1,5}$'},
      RedisMasterName: {type: 'String', allowedPattern: '^[A-Za-z0-9._-]+$'},
    })
    expect(Object.keys(exported.document?.parameters ?? {})).toEqual(['AutomationAssumeRole', 'size', 'mode', 'Environment', 'SentinelPort', 'RedisMasterName'])
  })

  it('sends a shell step with env through the runner, the values as data in InputPayload, never in the command', () => {
    const exported = exportSsm(runbook(`  - {name: greet, kind: shell, command: 'echo remote "$MSG"', env: {MSG: '{{ params.mode }}', SIZE: '{{ params.size }}'}, instanceTag: {key: role, value: web}, timeout: 120}\n`))
    const [greet] = exported.document!.mainSteps
    expect(greet).toMatchObject({name: 'greet', action: 'aws:executeScript', timeoutSeconds: 120})
    expect(greet!.inputs).toEqual({
      Runtime: 'python3.11',
      Handler: 'run',
      InputPayload: {command: 'echo remote "$MSG"', env: {MSG: '{{ mode }}', SIZE: '{{ size }}'}, tagKey: 'role', tagValue: 'web', environment: '{{ Environment }}', oneInstance: false, comment: 'fintech runbook step greet', executionTimeout: 90, waitSeconds: 110, pollSeconds: 3},
      Script: RUN_SCRIPT,
    })
  })

  it('runs a redis failover once, on one instance, with its write pause and replica checks', () => {
    const exported = exportSsm(runbook(`  - {name: move, kind: redis, operation: failover, parameters: {maxLagBytes: '{{ params.size }}'}, instanceTag: {key: k, value: v}, timeout: 120}\n`))
    const [move] = exported.document!.mainSteps
    expect(move!.inputs.InputPayload).toMatchObject({env: {SENTINEL_PORT: '{{ SentinelPort }}', MASTER_NAME: '{{ RedisMasterName }}', MAX_LAG_BYTES: '{{ size }}'}, oneInstance: true})
    const command = (move!.inputs.InputPayload as {command: string}).command
    for (const piece of ['CLIENT PAUSE "$PAUSE_BUDGET_MS" WRITE', 'SENTINEL FAILOVER "$MASTER_NAME"', 'CONFIG SET replica-priority 0', 'REPLICAOF', 'CLIENT UNPAUSE', 'trap release EXIT']) expect(command).toContain(piece)
  })
})

describe('SSM export of relative times and output defaults', () => {
  it('reads the clock in a step of its own just before each step that uses {{ time.… }}, and an onFailure jump to that step lands on its clock', () => {
    const exported = exportSsm(
      runbook(`  - {name: first, kind: aws, service: ecs, api: ListClusters, onFailure: 'step:lag'}
  - {name: lag, kind: aws, service: cloudwatch, api: GetMetricStatistics, parameters: {StartTime: '{{ time.minus5m }}', EndTime: '{{ time.now }}', Note: 'from {{ time.minus5m }}'}}
`),
    )
    expect(exported.unmappable).toEqual([])
    const [first, clock, lag] = exported.document!.mainSteps
    expect(first!.onFailure).toBe('step:lag_clock')
    expect(clock).toEqual({
      name: 'lag_clock',
      action: 'aws:executeScript',
      inputs: {Runtime: 'python3.11', Handler: 'clock', InputPayload: {names: ['minus5m', 'now']}, Script: CLOCK_SCRIPT},
      outputs: [{Name: 'minus5m', Selector: '$.Payload.minus5m', Type: 'String'}, {Name: 'now', Selector: '$.Payload.now', Type: 'String'}],
    })
    expect(lag!.inputs).toEqual({Service: 'cloudwatch', Api: 'GetMetricStatistics', StartTime: '{{ lag_clock.minus5m }}', EndTime: '{{ lag_clock.now }}', Note: 'from {{ lag_clock.minus5m }}'})
  })

  it('exports an aws step with an output default as a script that calls the API and applies the default', () => {
    const exported = exportSsm(runbook(`  - {name: errors, kind: aws, service: cloudwatch, api: GetMetricStatistics, parameters: {Period: 60}, outputs: {Errors: {selector: '$.Datapoints[0].Sum', type: Integer, default: 0}, Label: $.Label}}\n`))
    expect(exported.document!.mainSteps).toEqual([
      {
        name: 'errors',
        action: 'aws:executeScript',
        inputs: {
          Runtime: 'python3.11',
          Handler: 'call',
          InputPayload: {service: 'cloudwatch', api: 'GetMetricStatistics', parameters: {Period: 60}, outputs: [{name: 'Errors', selector: '$.Datapoints[0].Sum', type: 'Integer', default: 0}, {name: 'Label', selector: '$.Label', type: 'String'}]},
          Script: API_SCRIPT,
        },
        outputs: [{Name: 'Errors', Selector: '$.Payload.Errors', Type: 'Integer'}, {Name: 'Label', Selector: '$.Payload.Label', Type: 'String'}],
      },
    ])
  })
})

describe('SSM export of parameters', () => {
  it('gives String parameters an allowedPattern that admits identifiers and ARNs, the empty value only when the runbook allows it', () => {
    const exported = exportSsm(
      runbook(`  - {name: only, kind: aws, service: ecs, api: ListClusters}\n`, `  arn: {type: string, description: a}\n  taskDefinition: {type: string, default: '', allowEmpty: true, description: t}\n  maybe: {type: string, allowEmpty: true, description: m}\n`),
    )
    const {parameters} = exported.document!
    expect(parameters.arn!.allowedPattern).toBe('^[A-Za-z0-9._:/+=,@-]+$')
    expect(parameters.taskDefinition!.allowedPattern).toBe('^[A-Za-z0-9._:/+=,@-]*$')
    expect(parameters.maybe!.allowedPattern).toBe('^[A-Za-z0-9._:/+=,@-]*$')
    const allowed = new RegExp(parameters.arn!.allowedPattern!)
    for (const good of ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/fintech-dev-ledger/0123abcd', 'app/fintech-dev/0123', 'ledger:42', 'db.r6g.large', 'fintech-dev-aurora']) expect(allowed.test(good), good).toBe(true)
    for (const bad of ['$(touch x)', "'; touch x; '", 'a b', '`id`', '{{ssm:/secret}}', 'a\nb', 'x;y', 'a|b', '']) expect(allowed.test(bad), bad).toBe(false)
  })
})

describe('what still does not map is named with the reason', () => {
  it('a wait on the clock, a redis step with outputs, a command that splices a value, a default beyond the pattern, a default behind a filter', () => {
    const exported = exportSsm(
      runbook(
        `  - {name: recent, kind: wait, service: cloudwatch, api: GetMetricStatistics, parameters: {StartTime: '{{ time.minus1m }}'}, selector: '$.Datapoints[0].Sum', desiredValues: [0]}
  - {name: status, kind: redis, operation: status, instanceTag: {key: k, value: v}, outputs: {Primary: $.primary.address}}
  - {name: splice, kind: shell, command: 'echo {{ params.note }}', instanceTag: {key: k, value: v}}
  - {name: filtered, kind: aws, service: ecs, api: ListClusters, outputs: {First: {selector: '$.clusterArns[?(@ != "")]', default: none}}}
`,
        `  note: {type: string, default: 'two words', description: n}\n`,
      ),
    )
    expect(exported.document).toBeUndefined()
    expect(exported.unmappable).toEqual([
      {step: 'note', kind: 'parameter', reason: 'its default "two words" holds more than [A-Za-z0-9._:/+=,@-], the characters an exported String parameter allows'},
      {step: 'recent', kind: 'wait', reason: 'a wait reads the clock anew at every poll ({{ time.… }}), and aws:waitForAwsResourceProperty polls with the values it started with'},
      {step: 'status', kind: 'redis', reason: 'in SSM a redis step prints redis-cli text, not the status fintech selects outputs from: read what a later step needs with an aws or redis step of its own'},
      {step: 'splice', kind: 'shell', reason: 'the command splices {{ … }} into the script text, where a value becomes shell syntax: give the values in env and read "$NAME"'},
      {step: 'filtered', kind: 'aws', reason: 'the script that applies the output default follows plain paths ($.A.B[0].C) only: First is $.clusterArns[?(@ != "")]'},
    ])
  })
})
