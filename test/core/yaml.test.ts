import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, expect, it} from 'vitest'
import * as yaml from 'yaml'
import {FileError} from '../../src/core/errors.js'
import {cloudFormationTags} from '../../src/core/template/parse.js'
import {YamlTags, parseLocatedYaml} from '../../src/core/yaml.js'

const readByYaml = (text: string, tags = new YamlTags([])) =>
  yaml.parseDocument(text, {customTags: tags.located, uniqueKeys: true}).toJS({maxAliasCount: 100})

function yamlFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name)
    if (statSync(path).isDirectory()) return yamlFiles(path)
    return /\.ya?ml$/.test(name) ? [path] : []
  })
}

/**
 * Runs the built module in a fresh Node and says, after each step, whether the `yaml` library
 * (the located parser) has been loaded yet: that is what the fast path saves a command.
 */
function yamlLoadedAfter(steps: string): boolean[] {
  const script = `
    import {createRequire} from 'node:module'
    const {parseLocatedYaml} = await import(${JSON.stringify(pathToFileURL(resolve('dist/core/yaml.js')).href)})
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('/node_modules/yaml/'))
    const seen = []
    ${steps}
    console.log(JSON.stringify(seen))`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
  expect(child.stderr).toBe('')
  return JSON.parse(child.stdout) as boolean[]
}

describe('parseLocatedYaml', () => {
  const templates = yamlFiles('templates').filter((file) => !file.includes('/params/'))
  const others = ['fintech.config.yaml', ...yamlFiles('runbooks'), ...yamlFiles('templates/params')]

  it.each(templates)('reads the shipped template %s as the yaml library does', (file) => {
    const text = readFileSync(file, 'utf8')
    expect(parseLocatedYaml(text, file, cloudFormationTags).value).toEqual(readByYaml(text, cloudFormationTags))
  })

  it.each(others)('reads the shipped file %s as the yaml library does', (file) => {
    const text = readFileSync(file, 'utf8')
    expect(parseLocatedYaml(text, file).value).toEqual(readByYaml(text))
  })

  it('gives node positions after a fast read', () => {
    const located = parseLocatedYaml('a: 1\nb:\n  c: [x, y]\n  d: !Ref Thing\n', 'f.yaml', cloudFormationTags)
    expect(located.value).toEqual({a: 1, b: {c: ['x', 'y'], d: {Ref: 'Thing'}}})
    expect(located.lineOf(['b', 'd'])).toBe(4)
    expect(located.positionOf(['b', 'c', 1])).toEqual({line: 3, column: 10})
    expect(located.lineOf(['b', 'missing'])).toBe(2)
  })

  it('loads the located parser only when a position is asked for, or for a document the fast one reads differently', () => {
    expect(
      yamlLoadedAfter(`
        const located = parseLocatedYaml('a: 1\\nurl: https://example.com/?a=1&b=2\\n', 'f.yaml')
        seen.push(loaded())
        seen.push(located.lineOf(['url']) === 2 && loaded())`),
    ).toEqual([false, true])
    expect(yamlLoadedAfter(`parseLocatedYaml('a: &x 1\\nb: *x\\n', 'f.yaml'); seen.push(loaded())`)).toEqual([true])
  })

  it.each([
    ['a binary-looking number, a string in YAML 1.2', 'k: 0b101\n', {k: '0b101'}],
    ['a float with a sign and no leading digit', 'k: +.5\n', {k: 0.5}],
    ['an explicit core tag', 'k: !!binary aGk=\n', {k: Buffer.from('hi')}],
    ['an anchor and its alias', 'a: &shared [1, 2]\nb: *shared\n', {a: [1, 2], b: [1, 2]}],
    ['a tag neither parser knows', 'k: !Unknown value\n', {k: 'value'}],
  ])('reads %s as the yaml library does', (_, text, expected) => {
    expect(readByYaml(text)).toEqual(expected)
    expect(parseLocatedYaml(text, 'f.yaml').value).toEqual(expected)
  })

  it('still refuses aliases that expand without bound', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((name, index) => `${name}: &${name} [${Array(10).fill(`*${'abcdefgh'[index]}`).join(', ')}]`)].join('\n')
    expect(() => parseLocatedYaml(bomb, 'bomb.yaml')).toThrow(/alias/i)
  })

  it('reports a duplicate key with the yaml library words and the line of the second key', () => {
    const error = (() => {
      try {
        parseLocatedYaml('a: 1\nb: 2\na: 3\n', 'dup.yaml')
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(FileError)
    expect(error).toMatchObject({file: 'dup.yaml', line: 3, detail: 'Map keys must be unique'})
  })

  it('reads an empty document as null', () => {
    expect(parseLocatedYaml('', 'empty.yaml').value).toBeNull()
    expect(parseLocatedYaml('# only a comment\n', 'empty.yaml').value).toBeNull()
  })
})
