import {describe, expect, it} from 'vitest'
import {conditionsForEnvironment, evaluateBranches, evaluateForEnvironment, isIntrinsic, sourcePathOf} from '../../../src/core/template/evaluate.js'
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

describe('conditionsForEnvironment', () => {
  it('decides every named condition as evaluateForEnvironment does, undefined where offline cannot tell', () => {
    expect(conditionsForEnvironment(template, {Env: 'dev', Size: '100'})).toEqual({
      IsProd: false,
      IsDev: true,
      IsNonProd: true,
      IsDevOrTest: true,
      IsBigProd: false,
      InHomeRegion: undefined,
      // False and undecided together: false.
      IsProdInHomeRegion: false,
      IsProdOrHome: undefined,
      // A parameter with neither value nor default, and one given as another stack's output.
      IsGivenRegion: undefined,
    })
    expect(conditionsForEnvironment(template, {Env: 'prod', Region: '<network.Region>', 'AWS::Region': 'eu-west-1'})).toMatchObject({
      IsProd: true,
      IsNonProd: false,
      InHomeRegion: true,
      IsProdInHomeRegion: true,
      IsGivenRegion: undefined,
    })
  })

  it('is empty for a template without Conditions', () => {
    expect(conditionsForEnvironment(parseTemplate('Resources:\n  Topic: {Type: AWS::SNS::Topic}\n', 'plain.yaml'), {})).toEqual({})
  })
})

describe('evaluateForEnvironment with mappings, Select and pseudo parameters', () => {
  const mapped = parseTemplate(
    `Parameters:
  Env: {Type: String}
  Peer: {Type: String}
Mappings:
  Sizing:
    dev: {Encrypt: 'false', Zones: [a, b]}
    prod: {Encrypt: 'true', Zones: [a, b, c]}
  Regions:
    eu-west-1: {Elb: '156460612806'}
Conditions:
  InHomeRegion: !Equals [!Ref 'AWS::Region', eu-west-1]
  IsAws: !Equals [!Ref 'AWS::Partition', aws]
  Encrypts: !Equals [!FindInMap [Sizing, !Ref Env, Encrypt], 'true']
  HasPeer: !Not [!Equals [!Ref Peer, '']]
Resources:
  Volume:
    Type: AWS::EC2::Volume
    Properties:
      Encrypted: !FindInMap [Sizing, !Ref Env, Encrypt]
      Zones: !FindInMap [Sizing, !Ref Env, Zones]
      Second: !Select [1, !FindInMap [Sizing, !Ref Env, Zones]]
      Literal: !Select ['0', [x, y]]
      OutOfRange: !Select [5, [x, y]]
      Azs: !Select [0, !GetAZs '']
      Elb: !FindInMap [Regions, !Ref 'AWS::Region', Elb]
      Missing: !FindInMap [Sizing, test, Encrypt]
      Region: !Ref AWS::Region
      Account: !Ref AWS::AccountId
      Home: !If [InHomeRegion, home, away]
      Partition: !If [IsAws, aws, other]
      Kms: !If [Encrypts, yes, no]
      Peer: !If [HasPeer, peered, alone]
`,
    'mapped.yaml',
  )
  const volume = (parameters: Record<string, string>) => (evaluateForEnvironment(mapped, parameters).Volume as {Properties: Record<string, unknown>}).Properties

  it('looks values up in Mappings when the map name and keys resolve', () => {
    const dev = volume({Env: 'dev'})
    expect(dev.Encrypted).toBe('false')
    expect(dev.Zones).toEqual(['a', 'b'])
    expect(dev.Kms).toBe('no')
    expect(volume({Env: 'prod'}).Encrypted).toBe('true')
    expect(volume({Env: 'prod'}).Kms).toBe('yes')
    expect(dev.Missing).toEqual({'Fn::FindInMap': ['Sizing', 'test', 'Encrypt']})
    // The region is not known offline unless the environment passes it.
    expect(dev.Elb).toEqual({'Fn::FindInMap': ['Regions', {Ref: 'AWS::Region'}, 'Elb']})
  })

  it('selects from literal and resolved lists only', () => {
    const dev = volume({Env: 'dev'})
    expect(dev.Second).toBe('b')
    expect(dev.Literal).toBe('x')
    expect(dev.OutOfRange).toEqual({'Fn::Select': [5, ['x', 'y']]})
    expect(dev.Azs).toEqual({'Fn::Select': [0, {'Fn::GetAZs': ''}]})
  })

  it('reads AWS::Region, AWS::AccountId and AWS::Partition from the environment when given', () => {
    const unknown = volume({Env: 'dev'})
    expect(unknown.Region).toEqual({Ref: 'AWS::Region'})
    expect(unknown.Home).toEqual({'Fn::If': ['InHomeRegion', 'home', 'away']})
    const known = volume({Env: 'dev', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111111111111', 'AWS::Partition': 'aws'})
    expect(known.Region).toBe('eu-west-1')
    expect(known.Account).toBe('111111111111')
    expect(known.Elb).toBe('156460612806')
    expect(known.Home).toBe('home')
    expect(known.Partition).toBe('aws')
    expect(volume({Env: 'dev', 'AWS::Region': 'us-east-1'}).Home).toBe('away')
  })

  it('treats a <stack.Output> placeholder as unknown, in values and conditions', () => {
    const placeholder = volume({Env: 'dev', Peer: '<network.PeerCidr>'})
    expect(placeholder.Peer).toEqual({'Fn::If': ['HasPeer', 'peered', 'alone']})
    expect(volume({Env: 'dev', Peer: '10.0.0.0/16'}).Peer).toBe('peered')
  })

  it('evaluates both sides of an undecided Fn::If, and only one evaluation when all are decided', () => {
    const branches = evaluateBranches(mapped, {Env: 'dev'}).map((resources) => (resources.Volume as {Properties: Record<string, unknown>}).Properties)
    expect(branches.map((properties) => [properties.Home, properties.Peer, properties.Kms])).toEqual([
      ['home', 'peered', 'no'],
      ['away', 'alone', 'no'],
    ])
    expect(evaluateBranches(mapped, {Env: 'dev', Peer: '', 'AWS::Region': 'eu-west-1', 'AWS::Partition': 'aws'})).toHaveLength(1)
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
