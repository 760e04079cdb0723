import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {InputError} from '../../../src/core/errors.js'
import {TEMPLATE_URL_LIMIT, RefusedFileError, readProjectFile} from '../../../src/core/template/read.js'
import {fedFifo} from '../../helpers/fifo.js'

let scratch: string
let project: string
let stops: Array<() => void>
beforeEach(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'fintech-read-')))
  project = join(scratch, 'project')
  mkdirSync(join(project, 'templates'), {recursive: true})
  stops = []
})
afterEach(() => {
  for (const stop of stops) stop()
  rmSync(scratch, {recursive: true, force: true})
})

const refusal = (path: string, limit?: number) => {
  try {
    readProjectFile(project, path, 'template', limit)
  } catch (error) {
    expect(error).toBeInstanceOf(RefusedFileError)
    return (error as RefusedFileError).message
  }
  return expect.fail(`${path} was read`)
}

describe('readProjectFile', () => {
  it('reads a regular file of the project, by relative or absolute path, and through a symlink inside the project', () => {
    writeFileSync(join(project, 'templates/vpc.yaml'), 'Resources: {}\n')
    symlinkSync(join(project, 'templates/vpc.yaml'), join(project, 'templates/alias.yaml'))

    expect(readProjectFile(project, 'templates/vpc.yaml', 'template')).toBe('Resources: {}\n')
    expect(readProjectFile(project, join(project, 'templates/vpc.yaml'), 'template')).toBe('Resources: {}\n')
    expect(readProjectFile(project, 'templates/alias.yaml', 'template')).toBe('Resources: {}\n')
  })

  it('says a missing file is not found, as before', () => {
    expect(() => readProjectFile(project, 'templates/none.yaml', 'template')).toThrow(new InputError(`template not found: ${join(project, 'templates/none.yaml')}`))
  })

  it('refuses a path outside the project: relative, absolute, or a symlink leading out', () => {
    writeFileSync(join(scratch, 'outside.yaml'), 'Resources: {}\n')
    symlinkSync(join(scratch, 'outside.yaml'), join(project, 'templates/leak.yaml'))

    expect(refusal('../outside.yaml')).toBe(`../outside.yaml: the template resolves to ${join(scratch, 'outside.yaml')}, outside the project (${project}); only files under it are read`)
    expect(refusal(join(scratch, 'outside.yaml'))).toContain('outside the project')
    expect(refusal('templates/leak.yaml')).toBe(`templates/leak.yaml: the template resolves to ${join(scratch, 'outside.yaml')}, outside the project (${project}); only files under it are read`)
  })

  it('refuses /dev/zero, named or through a symlink, without reading it', () => {
    symlinkSync('/dev/zero', join(project, 'templates/zero.yaml'))
    expect(refusal('templates/zero.yaml')).toBe(`templates/zero.yaml: the template resolves to /dev/zero, outside the project (${project}); only files under it are read`)
    expect(refusal('/dev/zero')).toContain('outside the project')
  })

  it('refuses a FIFO in the project without blocking on it', () => {
    stops.push(fedFifo(join(project, 'templates/pipe.yaml'), 'Resources: {}\n').stop)
    expect(refusal('templates/pipe.yaml')).toBe('templates/pipe.yaml: the template is a FIFO; only regular files are read')
  })

  it('refuses a directory', () => {
    expect(refusal('templates')).toBe('templates: the template is a directory; only regular files are read')
  })

  it('reads a file of the limit and refuses one byte more; the default limit is CloudFormation\'s 1 MB', () => {
    writeFileSync(join(project, 'templates/ten.yaml'), '0123456789')
    expect(readProjectFile(project, 'templates/ten.yaml', 'template', 10)).toBe('0123456789')
    expect(refusal('templates/ten.yaml', 9)).toBe('templates/ten.yaml: the template is 10 bytes; at most 9 are read (CloudFormation\'s template limit)')

    expect(TEMPLATE_URL_LIMIT).toBe(1_048_576)
    writeFileSync(join(project, 'templates/huge.yaml'), '')
    truncateSync(join(project, 'templates/huge.yaml'), TEMPLATE_URL_LIMIT + 1)
    expect(refusal('templates/huge.yaml')).toBe(`templates/huge.yaml: the template is ${TEMPLATE_URL_LIMIT + 1} bytes; at most ${TEMPLATE_URL_LIMIT} are read (CloudFormation's template limit)`)
  })
})
