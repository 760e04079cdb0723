import {describe, expect, it} from 'vitest'
import {evaluateForEnvironment, isIntrinsic, sourcePathOf} from '../../../src/core/template/evaluate.js'
import {parseTemplate} from '../../../src/core/template/parse.js'

const template = parseTemplate(
  `Parameters:
  Env: {Type: String, AllowedValues: [dev, test, prod]}
  Size: {Type: Number, Default: 20}
  Zones: {Type: CommaDelimitedList, Default: 'eu-west-1a, eu-west-1b'}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}
  Region: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Equals [dev, !Ref Env]
  IsNonProd: !Not [!Condition IsProd]
  IsDevOrTest: !Or [!Condition IsDev, !Equals [!Ref Env, test]]
  IsBigProd: !And [!Condition IsProd, !Equals [!Ref Size, '100']]
  InHomeRegion: !Equals [!Ref 'AWS::Region', eu-west-1]
  IsProdInHomeRegion: !And [!Condition IsProd, !Condition InHomeRegion]
  IsProdOrHome: !Or [!Condition IsProd, !Condition InHomeRegion]
  IsGivenRegion: !Equals [!Ref Region, eu-west-1]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: !If [IsProd, Retain, Delete]
    Properties:
      DeletionProtectionEnabled: !If [IsProd, true, !Ref AWS::NoValue]
      Size: !Ref Size
      Zones: !Ref Zones
      Subnets: !Ref Subnets
      Name: !Sub '\${Env}-sessions'
      Arn: !GetAtt Key.Arn
      Region: !Ref AWS::Region
      Key: !Ref Key
      Imported: !ImportValue shared-thing
      Mode: !If [IsDevOrTest, small, !If [IsBigProd, big, medium]]
      Regional: !If [IsProdInHomeRegion, yes, no]
      Anywhere: !If [IsProdOrHome, yes, no]
      Tags:
        - !If [IsProd, {Key: tier, Value: prod}, !Ref AWS::NoValue]
        - {Key: env, Value: !Ref Env}
  Key:
    Type: AWS::KMS::Key
  DevOnly:
    Type: AWS::SNS::Topic
    Condition: IsDev
  NonProd:
    Type: AWS::SNS::Topic
    Condition: IsNonProd
  MaybeRegional:
    Type: AWS::SNS::Topic
    Condition: InHomeRegion
  WholeProperties:
    Type: AWS::SNS::Topic
    Properties: !If [IsProd, {KmsMasterKeyId: alias/prod}, !Ref AWS::NoValue]
`,
  'evaluate.yaml',
)

describe('evaluateForEnvironment', () => {
  it('resolves parameters, conditions and AWS::NoValue for prod', () => {
    const resources = evaluateForEnvironment(template, {Env: 'prod'})
    expect(Object.keys(resources)).toEqual(['Table', 'Key', 'MaybeRegional', 'WholeProperties'])
    expect(resources.Table).toEqual({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      Properties: {
        DeletionProtectionEnabled: true,
        Size: '20',
        Zones: ['eu-west-1a', 'eu-west-1b'],
        // No value and no default: stays a Ref, unknown offline.
        Subnets: {Ref: 'Subnets'},
        Name: {'Fn::Sub': '${Env}-sessions'},
        Arn: {'Fn::GetAtt': ['Key', 'Arn']},
        Region: {Ref: 'AWS::Region'},
        Key: {Ref: 'Key'},
        Imported: {'Fn::ImportValue': 'shared-thing'},
        Mode: 'medium',
        // Undecided (the region is unknown offline) and false together: false.
        Regional: {'Fn::If': ['IsProdInHomeRegion', 'yes', 'no']},
        Anywhere: 'yes',
        Tags: [{Key: 'tier', Value: 'prod'}, {Key: 'env', Value: 'prod'}],
      },
    })
    expect(resources.WholeProperties).toEqual({Type: 'AWS::SNS::Topic', Properties: {KmsMasterKeyId: 'alias/prod'}})
  })

  it('resolves the same template differently for dev', () => {
    const resources = evaluateForEnvironment(template, {Env: 'dev', Size: '100', Subnets: 'subnet-1,subnet-2'})
    expect(Object.keys(resources)).toEqual(['Table', 'Key', 'DevOnly', 'NonProd', 'MaybeRegional', 'WholeProperties'])
    const table = resources.Table as {DeletionPolicy: string; Properties: Record<string, unknown>}
    expect(table.DeletionPolicy).toBe('Delete')
    expect(table.Properties).not.toHaveProperty('DeletionProtectionEnabled')
    expect(table.Properties.Size).toBe('100')
    expect(table.Properties.Subnets).toEqual(['subnet-1', 'subnet-2'])
    expect(table.Properties.Mode).toBe('small')
    // False and undecided together: false.
    expect(table.Properties.Regional).toBe('no')
    expect(table.Properties.Anywhere).toEqual({'Fn::If': ['IsProdOrHome', 'yes', 'no']})
    expect(table.Properties.Tags).toEqual([{Key: 'env', Value: 'dev'}])
    expect(resources.WholeProperties).toEqual({Type: 'AWS::SNS::Topic'})
  })

  it('decides nested And/Or/Not over several parameters', () => {
    const big = evaluateForEnvironment(template, {Env: 'prod', Size: '100'}).Table as {Properties: Record<string, unknown>}
    expect(big.Properties.Mode).toBe('big')
    const test = evaluateForEnvironment(template, {Env: 'test'}).Table as {Properties: Record<string, unknown>}
    expect(test.Properties.Mode).toBe('small')
  })

  it('keeps resources and values whose condition cannot be decided', () => {
    const resources = evaluateForEnvironment(template, {})
    // Env has no value: IsDev, IsNonProd and IsProd are undecided, so their resources stay.
    expect(Object.keys(resources)).toEqual(['Table', 'Key', 'DevOnly', 'NonProd', 'MaybeRegional', 'WholeProperties'])
    const table = resources.Table as {DeletionPolicy: unknown; Properties: Record<string, unknown>}
    expect(table.DeletionPolicy).toEqual({'Fn::If': ['IsProd', 'Retain', 'Delete']})
    // Both branches stay in place, including a NoValue one: the value is unknown, not absent.
    expect(table.Properties.DeletionProtectionEnabled).toEqual({'Fn::If': ['IsProd', true, {Ref: 'AWS::NoValue'}]})
    expect(table.Properties.Tags).toEqual([
      {'Fn::If': ['IsProd', {Key: 'tier', Value: 'prod'}, {Ref: 'AWS::NoValue'}]},
      {Key: 'env', Value: {Ref: 'Env'}},
    ])
  })

  it('records where each evaluated object came from', () => {
    const table = evaluateForEnvironment(template, {Env: 'dev'}).Table as {Properties: {Tags: object[]}}
    expect(sourcePathOf(table)).toEqual(['Resources', 'Table'])
    expect(sourcePathOf(table.Properties)).toEqual(['Resources', 'Table', 'Properties'])
    // The env tag is the second item in the document, though the first after the NoValue went.
    expect(sourcePathOf(table.Properties.Tags[0])).toEqual(['Resources', 'Table', 'Properties', 'Tags', 1])
    const prodTags = (evaluateForEnvironment(template, {Env: 'prod'}).Table as {Properties: {Tags: object[]}}).Properties.Tags
    expect(sourcePathOf(prodTags[0])).toEqual(['Resources', 'Table', 'Properties', 'Tags', 0, 'Fn::If', 1])
    expect(sourcePathOf('a string')).toBeUndefined()
  })

  it('does not change the template', () => {
    const before = JSON.stringify(template.document)
    evaluateForEnvironment(template, {Env: 'prod'})
    expect(JSON.stringify(template.document)).toBe(before)
  })

  it('leaves a condition that refers to itself undecided', () => {
    const cyclic = parseTemplate(
      `Conditions:
  A: !Not [!Condition B]
  B: !Not [!Condition A]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Condition: A
`,
      'cyclic.yaml',
    )
    expect(Object.keys(evaluateForEnvironment(cyclic, {}))).toEqual(['Topic'])
  })
})

describe('isIntrinsic', () => {
  it('tells a function call from a mapping', () => {
    expect(isIntrinsic({Ref: 'X'})).toBe(true)
    expect(isIntrinsic({'Fn::GetAtt': ['X', 'Arn']})).toBe(true)
    expect(isIntrinsic({Condition: 'IsProd'})).toBe(true)
    expect(isIntrinsic({Condition: {Bool: {}}})).toBe(false)
    expect(isIntrinsic({Ref: 'X', Other: 1})).toBe(false)
    expect(isIntrinsic(['Fn::If'])).toBe(false)
    expect(isIntrinsic('Ref')).toBe(false)
  })
})
