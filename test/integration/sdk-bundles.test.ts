/**
 * The SDK clients the built CLI loads (Node 22.15+, which lets bin/run.js resolve modules):
 * the adapters' come from dist/sdk/, bundled with only the commands they use; a runbook step,
 * which may call any operation, gets the whole package from node_modules. Node's module debug
 * log says which files each run loaded; the runs themselves go to moto.
 */
import {CreateVpcCommand} from '@aws-sdk/client-ec2'
import {writeFileSync} from 'node:fs'
import module from 'node:module'
import {basename, join} from 'node:path'
import {beforeEach, describe, expect, it} from 'vitest'
import {ACCOUNT, CLI_ROOT, explain, REGION, repositoryProject, runCli, useMoto} from './moto.js'

const ctx = useMoto()
let config: string

beforeEach(() => {
  config = repositoryProject(ctx.dir)
})

/** Runs the built CLI against moto with Node's module log on, and names the SDK client files it loaded. */
async function loadedClients(args: string[]) {
  const run = await runCli(ctx.moto, args, ctx.auditLog, {NODE_DEBUG: 'module', XDG_STATE_HOME: join(ctx.dir, 'state')})
  const files = [...run.stderr.matchAll(/load "([^"]+)" for module/g)].map((match) => match[1]!)
  return {
    run,
    bundled: files.filter((file) => file.startsWith(join(CLI_ROOT, 'dist', 'sdk'))).map((file) => basename(file)),
    whole: files.filter((file) => /node_modules[/\\]@aws-sdk[/\\]client-/.test(file)),
  }
}

const registersHooks = typeof (module as {registerHooks?: unknown}).registerHooks === 'function'

describe.runIf(registersHooks)('SDK clients in the built CLI', {timeout: 90_000}, () => {
  it('tags audit takes every client from dist/sdk and none from node_modules, and audits the account', async () => {
    const {Vpc} = await ctx.moto.ec2.send(new CreateVpcCommand({CidrBlock: '10.30.0.0/16'}))
    const {run, bundled, whole} = await loadedClients(['tags', 'audit', '--env', 'dev', '--config', config, '--json'])
    expect(run.exitCode, explain(run)).toBe(1)
    expect(run.json.resources.map((resource: {arn: string}) => resource.arn)).toContain(`arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${Vpc!.VpcId}`)
    expect(bundled.sort()).toEqual([
      'client-cloudwatch-logs.cjs',
      'client-dynamodb.cjs',
      'client-ec2.cjs',
      'client-ecs.cjs',
      'client-elastic-load-balancing-v2.cjs',
      'client-rds.cjs',
      'client-resource-groups-tagging-api.cjs',
      'client-s3.cjs',
      'client-sts.cjs',
    ])
    expect(whole).toEqual([])
  })

  it("gives a runbook step the whole package, so it may call an operation no adapter uses", async () => {
    const {Vpc} = await ctx.moto.ec2.send(new CreateVpcCommand({CidrBlock: '10.31.0.0/16'}))
    writeFileSync(
      join(ctx.dir, 'runbooks', 'vpc-attribute.yaml'),
      `name: vpc-attribute
title: Read a VPC attribute
description: d
whenToUse: w
severity: sev3
envs: [dev]
steps:
  - name: dns
    kind: aws
    service: ec2
    api: DescribeVpcAttribute
    parameters: {VpcId: ${Vpc!.VpcId}, Attribute: enableDnsSupport}
    outputs:
      enabled: {selector: $.EnableDnsSupport.Value, type: Boolean}
prose: p
`,
    )
    const {run, whole} = await loadedClients(['runbook', 'run', 'vpc-attribute', '--env', 'dev', '--config', config, '--json', '--yes'])
    expect(run.exitCode, explain(run)).toBe(0)
    expect(run.json.run.steps.dns.outputs).toEqual({enabled: true})
    expect(whole.map((file) => file.split(/node_modules[/\\]/).at(-1))).toEqual([join('@aws-sdk', 'client-ec2', 'dist-cjs', 'index.js')])
  })
})
