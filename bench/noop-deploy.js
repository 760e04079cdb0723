// Counts the AWS calls of `deploy --stage all` when every stack is already up to date.
//
// The mocks answer exactly what CloudFormation would report for a stack deployed from the
// repo's own templates, so the run takes the real "unchanged" path of deployStack: same
// template hash, every parameter's effective value (defaults included), same tags. The
// expected values come from the project's own config, plan and parameter modules in dist/,
// so the bench keeps up with the config instead of copying it.
import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CloudFormationClient, DescribeStacksCommand, GetTemplateCommand} from '@aws-sdk/client-cloudformation'
import {S3Client} from '@aws-sdk/client-s3'
import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'
import {Config} from '@oclif/core'
import {mockClient} from 'aws-sdk-client-mock'
import {resolveEnv} from '../dist/core/config/env.js'
import {loadConfig} from '../dist/core/config/load.js'
import {resolveParameters} from '../dist/core/params/resolve.js'
import {planEnvironment} from '../dist/core/stages/plan.js'
import {selectStages} from '../dist/core/stages/select.js'
import {runQuietly} from './run-quietly.js'

/** A placeholder value per output, shaped like what the output holds so nothing trips on its form. */
const placeholderOutput = (env, stackName, key) => {
  const id = createHash('sha256').update(`${stackName}.${key}`).digest('hex')
  if (/KeyArn$|KeyId$/.test(key)) return `arn:aws:kms:${env.region}:${env.account}:key/${id.slice(0, 32)}`
  if (/SecretArn$/.test(key)) return `arn:aws:secretsmanager:${env.region}:${env.account}:secret:${stackName}-${key}-${id.slice(0, 6)}`
  if (/Arn$/.test(key)) return `arn:aws:sns:${env.region}:${env.account}:${stackName}-${key}`
  return `${stackName}-${key}`
}

/** What DescribeStacks and GetTemplate return for each stack of the env, deployed and unchanged. */
function deployedState(configPath, envName) {
  const loaded = loadConfig(configPath)
  const plan = planEnvironment(loaded, resolveEnv(loaded, envName), selectStages(loaded.config, 'all'))
  const jobs = plan.stages.flatMap((stage) => stage.jobs)

  // Outputs other stacks read through {stackOutput: id.Key}; only these need values.
  const referenced = new Map(jobs.map((job) => [job.id, new Set()]))
  for (const job of jobs) {
    for (const value of Object.values(job.config.parameters)) {
      if (typeof value === 'object' && 'stackOutput' in value) {
        const [id, key] = value.stackOutput.split('.')
        referenced.get(id).add(key)
      }
    }
  }
  const outputs = new Map(jobs.map((job) => [job.id, Object.fromEntries([...referenced.get(job.id)].map((key) => [key, placeholderOutput(plan.env, job.stackName, key)]))]))

  return jobs.map((job) => {
    const resolution = resolveParameters(job.config, job.template, plan.parameterContext((id, key) => outputs.get(id)?.[key]))
    if (resolution.problems.length > 0) throw new Error(`${job.stackName}: ${resolution.problems.map((problem) => problem.detail).join('; ')}`)
    return {
      stackName: job.stackName,
      templateBody: job.template.body,
      stack: {
        StackName: job.stackName,
        StackId: `arn:aws:cloudformation:${plan.env.region}:${plan.env.account}:stack/${job.stackName}/00000000-0000-0000-0000-000000000000`,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-01-01T00:00:00Z'),
        // CloudFormation reports every declared parameter, defaults included.
        Parameters: Object.entries(resolution.parameters).map(([ParameterKey, parameter]) => ({ParameterKey, ParameterValue: parameter.value})),
        Tags: Object.entries(job.tags).map(([Key, Value]) => ({Key, Value})),
        Outputs: Object.entries(outputs.get(job.id)).map(([OutputKey, OutputValue]) => ({OutputKey, OutputValue})),
        EnableTerminationProtection: false,
      },
    }
  })
}

/**
 * @returns {{stacks: number, total: number, perStack: Map<string, number>, shared: number, byCommand: Map<string, number>}}
 *   or throws with a message saying why the run was not a no-op.
 */
export async function countNoopDeployCalls(repoRoot, envName = 'dev') {
  const configPath = join(repoRoot, 'fintech.config.yaml')
  const loaded = loadConfig(configPath)
  const env = loaded.config.environments[envName]
  const deployed = deployedState(configPath, envName)

  const cfn = mockClient(CloudFormationClient)
  const sts = mockClient(STSClient)
  const s3 = mockClient(S3Client)
  // Anything not answered below is a call a no-op should not make: fail it loudly.
  for (const mock of [cfn, sts, s3]) mock.onAnyCommand().rejects(new Error('not mocked: a no-op deploy should not call this'))
  sts.on(GetCallerIdentityCommand).resolves({Account: env.account, Arn: `arn:aws:iam::${env.account}:user/bench`, UserId: 'BENCH'})
  for (const {stackName, stack, templateBody} of deployed) {
    cfn.on(DescribeStacksCommand, {StackName: stackName}).resolves({Stacks: [stack]})
    cfn.on(GetTemplateCommand, {StackName: stackName}).resolves({TemplateBody: templateBody})
  }

  const auditDir = mkdtempSync(join(tmpdir(), 'fintech-bench-'))
  const savedAudit = process.env.FINTECH_AUDIT_LOG
  const savedExitCode = process.exitCode
  process.env.FINTECH_AUDIT_LOG = join(auditDir, 'audit.jsonl')
  try {
    const config = await Config.load(repoRoot)
    const {default: Deploy} = await import('../dist/commands/deploy.js')
    const {result, printed} = await runQuietly(() => Deploy.run(['--stage', 'all', '--env', envName, '--config', configPath, '--json'], config))

    const stacks = result?.stages?.flatMap((stage) => stage.stacks) ?? []
    const notUnchanged = stacks.filter((stack) => stack.outcome !== 'unchanged')
    if (!result || stacks.length !== deployed.length || notUnchanged.length > 0) {
      const detail = notUnchanged.map((stack) => `  ${stack.stackName}: ${stack.outcome}${stack.detail ? ` (${stack.detail})` : ''}`).join('\n')
      throw new Error(`the mocked deploy was not a no-op (${stacks.length} of ${deployed.length} stacks reported)\n${detail}\n--- command output (last 4000 characters) ---\n${printed.trim().slice(-4000)}`)
    }

    const calls = [...cfn.calls(), ...sts.calls(), ...s3.calls()].map((call) => call.args[0])
    const byCommand = new Map()
    const perStack = new Map(deployed.map(({stackName}) => [stackName, 0]))
    let shared = 0
    for (const command of calls) {
      const name = command.constructor.name.replace(/Command$/, '')
      byCommand.set(name, (byCommand.get(name) ?? 0) + 1)
      const stackName = command.input?.StackName
      if (perStack.has(stackName)) perStack.set(stackName, perStack.get(stackName) + 1)
      else shared++ // not about one stack, e.g. STS GetCallerIdentity
    }
    return {stacks: deployed.length, total: calls.length, perStack, shared, byCommand}
  } finally {
    for (const mock of [cfn, sts, s3]) mock.restore()
    process.exitCode = savedExitCode
    if (savedAudit === undefined) delete process.env.FINTECH_AUDIT_LOG
    else process.env.FINTECH_AUDIT_LOG = savedAudit
    rmSync(auditDir, {recursive: true, force: true})
  }
}
