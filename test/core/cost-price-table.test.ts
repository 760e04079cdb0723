import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {join, relative} from 'node:path'
import {describe, expect, it} from 'vitest'
import {PRICED_TYPES, UNPRICED_TYPES} from '../../src/core/cost/estimate.js'
import {parseTemplate} from '../../src/core/template/parse.js'

const TEMPLATES = fileURLToPath(new URL('../../templates', import.meta.url))

/** Every CloudFormation template shipped under templates/ (the parameter files and SCPs are not templates). */
function shippedTemplates(): string[] {
  return readdirSync(TEMPLATES, {recursive: true, encoding: 'utf8'})
    .filter((path) => path.endsWith('.yaml') && !path.startsWith('params'))
    .map((path) => join(TEMPLATES, path))
}

describe('the price table', () => {
  it('knows every resource type the shipped templates use: priced, or unpriced with a reason', () => {
    const files = shippedTemplates()
    expect(files.map((file) => relative(TEMPLATES, file)).sort()).toEqual([
      'compute/compute.yaml',
      'data/data.yaml',
      'foundation/baseline.yaml',
      'foundation/organization.yaml',
      'networking/network.yaml',
      'recovery/baseline.yaml',
      'recovery/compute.yaml',
      'recovery/data.yaml',
      'shutdown/scheduler.yaml',
    ])
    const known = new Set<string>([...PRICED_TYPES, ...Object.keys(UNPRICED_TYPES)])
    const unknown = files.flatMap((file) =>
      Object.entries(parseTemplate(readFileSync(file, 'utf8'), file).resources)
        .filter(([, resource]) => !known.has(resource.type))
        .map(([logicalId, resource]) => `${relative(TEMPLATES, file)} ${logicalId}: ${resource.type}`),
    )
    expect(unknown).toEqual([])
  })

  it('gives no type both a price rule and a reason not to price it', () => {
    expect(PRICED_TYPES.filter((type) => type in UNPRICED_TYPES)).toEqual([])
  })

  it('prices the fifteen types it billed by the hour or the month before it became a table, in that order', () => {
    expect(PRICED_TYPES).toEqual([
      'AWS::EC2::Instance',
      'AWS::AutoScaling::AutoScalingGroup',
      'AWS::RDS::DBInstance',
      'AWS::ECS::Service',
      'AWS::EC2::NatGateway',
      'AWS::EC2::EIP',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::EC2::Volume',
      'AWS::EC2::VPCEndpoint',
      'AWS::EC2::TransitGatewayAttachment',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::WAFv2::WebACL',
      'AWS::CloudWatch::Alarm',
      'AWS::CloudWatch::Dashboard',
    ])
  })
})
