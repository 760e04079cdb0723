import {closeSync, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, renameSync, writeSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

/**
 * What fintech keeps on the user's disk (audit lines, runbook state and locks, cached Cost
 * Explorer figures, exported documents) says who changed what in which account, and what it
 * costs: only the user may read it, whatever the umask. Files are 0600, and the folders
 * fintech creates for them 0700. A file of ours that an older version left wider is narrowed
 * on its next write. Folders that already exist are left as they are: the one named for an
 * audit log may be /tmp or a team's shared folder, whose mode is not ours to change.
 */
const FILE_MODE = 0o600
const DIRECTORY_MODE = 0o700
const OPEN_TO_OTHERS = 0o077

const ownedByUs = (uid: number) => typeof process.getuid !== 'function' || uid === process.getuid()

/** fintech's cache folder: `$FINTECH_CACHE_DIR`, else `$XDG_CACHE_HOME/fintech`, else `~/.cache/fintech`. */
export function fintechCacheFolder(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.FINTECH_CACHE_DIR || join(env.XDG_CACHE_HOME || join(home, '.cache'), 'fintech')
}

/**
 * Creates `directory` 0700 and says whether only this user can read and write it. A cache
 * whose content is run as code or printed as ours (compiled code, help text) is used only in
 * such a folder: not in a read-only home, someone else's folder or one left open to others.
 */
export function isOwnPrivateFolder(directory: string): boolean {
  try {
    ensurePrivateDirectory(directory)
    const stat = lstatSync(directory)
    return stat.isDirectory() && ownedByUs(stat.uid) && (stat.mode & OPEN_TO_OTHERS) === 0
  } catch {
    return false
  }
}

/** Creates `directory` and its missing parents 0700. */
export function ensurePrivateDirectory(directory: string): void {
  mkdirSync(directory, {recursive: true, mode: DIRECTORY_MODE})
}

function writeThroughDescriptor(path: string, flag: 'w' | 'a' | 'wx', text: string): void {
  const descriptor = openSync(path, flag, FILE_MODE)
  try {
    const {mode, uid} = fstatSync(descriptor)
    if (mode & OPEN_TO_OTHERS && ownedByUs(uid)) fchmodSync(descriptor, FILE_MODE)
    writeSync(descriptor, text)
  } finally {
    closeSync(descriptor)
  }
}

/** Writes `text` to `path` (0600, in a 0700 folder); `exclusive` fails with EEXIST when the file exists. */
export function writePrivateFile(path: string, text: string, options: {exclusive?: boolean} = {}): void {
  ensurePrivateDirectory(dirname(path))
  writeThroughDescriptor(path, options.exclusive ? 'wx' : 'w', text)
}

/** Replaces `path` in one rename, so a reader or a crash never sees half a file. */
export function replacePrivateFile(path: string, text: string): void {
  ensurePrivateDirectory(dirname(path))
  const partial = `${path}.${process.pid}.tmp`
  writeThroughDescriptor(partial, 'w', text)
  renameSync(partial, path)
}

/** Appends `text` synchronously, so that a crash right after still leaves it on disk. */
export function appendPrivateFile(path: string, text: string): void {
  ensurePrivateDirectory(dirname(path))
  writeThroughDescriptor(path, 'a', text)
}
