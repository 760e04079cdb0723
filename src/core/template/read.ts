import {closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats} from 'node:fs'
import {isAbsolute, join, relative} from 'node:path'
import {FileError, InputError} from '../errors.js'
import {formatKeyPath, type KeyPath} from '../yaml.js'

/**
 * CloudFormation's largest template, 1 MB, which it only takes from S3 (TemplateURL). No
 * template or parameter file of a project needs more, so nothing larger is read.
 */
export const TEMPLATE_URL_LIMIT = 1_048_576

/** A project file that is not read: outside the project, not a regular file, or too large. */
export class RefusedFileError extends FileError {
  /** The same refusal, told at the line of the config that names the file. */
  at(configFile: string, line: number | undefined, keyPath: KeyPath): RefusedFileError {
    return new RefusedFileError(configFile, `${this.file}: ${this.detail}`, line, formatKeyPath(keyPath))
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'not a regular file'
}

/**
 * Reads a file the config names (`path`, relative to the project `root` or absolute) only when
 * it resolves, symlinks followed, to a regular file inside the project of at most `limitBytes`.
 * A FIFO would block the read forever and a device never ends, so the type is checked on the
 * opened descriptor (opened non-blocking), which no rename between check and read can swap.
 */
export function readProjectFile(root: string, path: string, what: string, limitBytes: number = TEMPLATE_URL_LIMIT): string {
  const full = isAbsolute(path) ? path : join(root, path)
  let real: string
  try {
    real = realpathSync(full)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InputError(code === 'ENOENT' ? `${what} not found: ${full}` : `cannot read ${what} ${full}: ${(error as Error).message}`)
  }
  const project = realpathSync(root)
  const inside = relative(project, real)
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new RefusedFileError(path, `the ${what} resolves to ${real}, outside the project (${project}); only files under it are read`)
  }

  const fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new RefusedFileError(path, `the ${what} is ${kindOf(stats)}; only regular files are read`)
    const tooLarge = (size: number | string) => new RefusedFileError(path, `the ${what} is ${size} bytes; at most ${limitBytes} are read (CloudFormation's template limit)`)
    if (stats.size > limitBytes) throw tooLarge(stats.size)
    // One byte more than the limit tells a file that grew after fstat.
    const buffer = Buffer.allocUnsafe(limitBytes + 1)
    let length = 0
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
    }
    if (length > limitBytes) throw tooLarge(`over ${limitBytes}`)
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}
