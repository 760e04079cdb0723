import {describe, expect, it} from 'vitest'
import {parseTemplate} from '../../src/core/template/parse.js'

describe('parseTemplate', () => {
  it('reads short-form intrinsic functions as their long form', () => {
    const template = parseTemplate(
      `Parameters:
  Name: {Type: String, Default: ledger, AllowedValues: [ledger, other]}
  Secret: {Type: String, NoEcho: true}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    DependsOn: Key
    Properties:
      BucketName: !Sub '\${Name}-bucket'
      Arn: !GetAtt Key.Arn
      Joined: !Join [',', [!Ref Name, !Select [0, !GetAZs '']]]
      Cond: !If [IsProd, !Ref Name, !Ref AWS::NoValue]
  Key:
    Type: AWS::KMS::Key
Outputs:
  BucketName: {Value: !Ref Bucket}
`,
      'bucket.yaml',
    )
    expect(template.resources.Bucket).toEqual({
      type: 'AWS::S3::Bucket',
      deletionPolicy: 'Retain',
      dependsOn: ['Key'],
      metadata: {},
      properties: {
        BucketName: {'Fn::Sub': '${Name}-bucket'},
        Arn: {'Fn::GetAtt': ['Key', 'Arn']},
        Joined: {'Fn::Join': [',', [{Ref: 'Name'}, {'Fn::Select': [0, {'Fn::GetAZs': ''}]}]]},
        Cond: {'Fn::If': ['IsProd', {Ref: 'Name'}, {Ref: 'AWS::NoValue'}]},
      },
    })
    expect(template.parameters).toEqual({
      Name: {type: 'String', default: 'ledger', noEcho: false, allowedValues: ['ledger', 'other']},
      Secret: {type: 'String', default: undefined, noEcho: true, allowedValues: undefined},
    })
    expect(template.outputs).toEqual(['BucketName'])
  })

  it('reads JSON templates too', () => {
    const template = parseTemplate('{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}', 't.json')
    expect(template.resources.Topic!.type).toBe('AWS::SNS::Topic')
  })

  it('names the line of a resource without a Type', () => {
    expect(() => parseTemplate('Resources:\n  Ok:\n    Type: AWS::SNS::Topic\n  Broken:\n    Properties: {}\n', 'x.yaml')).toThrow(
      'x.yaml:4: Resources.Broken: a resource needs a Type',
    )
  })

  it('refuses a template without resources', () => {
    expect(() => parseTemplate('Parameters: {}\n', 'empty.yaml')).toThrow('empty.yaml:1: Resources: a template needs at least one resource')
  })

  it('measures the size in bytes, not characters', () => {
    const template = parseTemplate('Description: "é"\nResources:\n  T: {Type: AWS::SNS::Topic}\n', 'u.yaml')
    expect(template.sizeBytes).toBe(Buffer.byteLength(template.body))
    expect(template.sizeBytes).toBe(template.body.length + 1)
  })
})
