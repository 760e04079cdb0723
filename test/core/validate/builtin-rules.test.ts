import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {beforeAll, describe, expect, it} from 'vitest'
import {parseTemplate} from '../../../src/core/template/parse.js'
import {builtinFindings} from '../../../src/core/validate/builtin-rules.js'
import {loadResourceSpec, type ResourceSpec} from '../../../src/core/validate/resource-spec.js'

const corpus = fileURLToPath(new URL('../../fixtures/validate/builtin/', import.meta.url))
let spec: ResourceSpec

beforeAll(async () => {
  spec = await loadResourceSpec()
})

/** Each fixture marks the line of every finding it must produce with `# expect RULE-ID`. */
function expectedMarks(body: string): Array<[number, string]> {
  return body.split('\n').flatMap((line, index) => [...line.matchAll(/# expect (\S+)/g)].map((match): [number, string] => [index + 1, match[1]!]))
}

const found = (body: string, file: string) =>
  builtinFindings(parseTemplate(body, file), spec).map((finding): [number, string] => [finding.line, finding.ruleId])

describe('built-in template checks, one broken fixture per rule', () => {
  for (const file of readdirSync(corpus).filter((name) => name.startsWith('FT-'))) {
    it(`${file} produces exactly its finding at the marked line`, () => {
      const body = readFileSync(`${corpus}${file}`, 'utf8')
      const marks = expectedMarks(body)
      expect(marks.map(([, rule]) => rule)).toEqual([file.replace('.yaml', '')])
      expect(found(body, file)).toEqual(marks)
    })
  }

  it('a correct template with conditions, Sub, GetAtt and tags has no finding', () => {
    expect(found(readFileSync(`${corpus}clean.yaml`, 'utf8'), 'clean.yaml')).toEqual([])
  })

  it('warns about a template that must go through the artifact bucket, and refuses one over 1 MB', () => {
    const sized = (bytes: number) => `Description: "${'x'.repeat(bytes)}"\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n`
    expect(found(sized(52_000), 'large.yaml')).toEqual([[1, 'FT-TPL-008']])
    expect(found(sized(1_000_100), 'huge.yaml')).toEqual([[1, 'FT-TPL-009']])
  })

  it('names the column of the offending key', () => {
    const [finding] = builtinFindings(parseTemplate(readFileSync(`${corpus}FT-TPL-002.yaml`, 'utf8'), 'FT-TPL-002.yaml'), spec)
    expect(finding).toMatchObject({line: 5, column: 7, message: 'AWS::SNS::Topic has no property TopicNmae', resource: 'Topic'})
  })

  it('checks nested property types and Sub references', () => {
    const body = `Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: app
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8, Colour: blue}
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '\${Missing}-topic'
`
    expect(builtinFindings(parseTemplate(body, 'n.yaml'), spec).map((finding) => [finding.line, finding.ruleId, finding.message])).toEqual([
      [7, 'FT-TPL-002', 'SecurityGroupIngress has no property Colour'],
      [11, 'FT-TPL-005', 'Missing is neither a parameter nor a resource of this template'],
    ])
  })

  it('treats Condition as a name only where it names a condition, and reports a repeated name once', () => {
    const body = `Conditions:
  IsProd: !Equals [!Ref AWS::Region, eu-west-1]
  Both: !And [{Condition: IsProd}, {Condition: Missing}]
Resources:
  Task:
    Type: AWS::ECS::TaskDefinition
    Condition: IsProd
    Properties:
      ContainerDefinitions:
        - Name: app
          Image: app
          DependsOn: [{ContainerName: init, Condition: SUCCESS}]
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '\${Nope}-\${Nope}'
`
    expect(builtinFindings(parseTemplate(body, 'c.yaml'), spec).map((finding) => [finding.line, finding.ruleId, finding.message])).toEqual([
      [16, 'FT-TPL-005', 'Nope is neither a parameter nor a resource of this template'],
      [3, 'FT-TPL-005', 'Missing is not a condition of this template'],
    ])
  })
})
