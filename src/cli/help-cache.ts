import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {fintechCacheFolder, isOwnPrivateFolder, replacePrivateFile} from '../core/private-files.js'

/**
 * Help text, kept after oclif first renders it: loading oclif to render help costs more than
 * twice a bare Node start, and the same question asked again gets the same bytes as long as
 * nothing it depends on changed. What it depends on is the cache key: fintech's version and
 * manifest (rewritten by every build and install), Node's version and platform (the root
 * help prints them), the arguments, the terminal (TTY or not, width) and every environment
 * variable that oclif or its colour library (ansis) reads, plus the user's oclif theme file.
 * Anything else changed is a different key, so the worst a change we did not foresee can do
 * is cost one render. Only help that is the same in every folder is kept: the root help, a
 * command's and a topic's, except `runbook`'s, which lists the project's own runbooks.
 */

/** Where fintech is installed (the folder of package.json and oclif.manifest.json) and how it is asked. */
export interface HelpInvocation {
  root: string
  argv: string[]
  env: NodeJS.ProcessEnv
  stdout: {isTTY?: boolean; columns?: number}
}

const HELP_FLAG = '--help'
const WORD = /^[a-z][\w:-]*$/i
/** Topics whose help reads the current project (src/cli/help.ts), so it differs between folders. */
const PROJECT_DEPENDENT_TOPICS = new Set(['runbook'])
/** What ansis reads to choose colours, what oclif reads for width, theme and debug output, and where the theme lives. */
const KEYED_ENVIRONMENT = /^(TERM|TERM_PROGRAM|COLORTERM|NO_COLOR|FORCE_COLOR|CI|TF_BUILD|PM2_HOME|pm_id|NEXT_RUNTIME|DEBUG|HOME|XDG_CONFIG_HOME|LANG|LC_ALL|LC_MESSAGES|COLUMNS)$|^(OCLIF|FINTECH)_|TEAMCI|GITHUB|GITEA/

/** Opting out, for someone developing a help theme or chasing a rendering question. */
const DISABLED = 'FINTECH_HELP_CACHE'

/** Whether `argv` is a help question at all; cheap, so bin/run.js asks before loading anything. */
export function asksForHelp(argv: string[]): boolean {
  return argv.length === 0 || argv[0] === 'help' || argv.includes(HELP_FLAG)
}

/** The command or topic words `argv` asks help for, or undefined when it asks something else too (flags, values). */
function helpSubject(argv: string[]): string[] | undefined {
  if (!asksForHelp(argv)) return undefined
  const words = argv[0] === 'help' ? argv.slice(1) : argv.filter((arg) => arg !== HELP_FLAG)
  return words.every((word) => WORD.test(word)) ? words : undefined
}

interface Manifest {
  version: string
  commands: Record<string, {aliases?: string[]}>
}

function isStaticSubject(subject: string[], manifest: Manifest): boolean {
  if (subject.length === 0) return true
  const id = subject.join(':')
  const commands = Object.entries(manifest.commands)
  if (commands.some(([commandId, {aliases = []}]) => commandId === id || aliases.includes(id))) return true
  return !PROJECT_DEPENDENT_TOPICS.has(id) && commands.some(([commandId]) => commandId.startsWith(`${id}:`))
}

function themeFileStamp(env: NodeJS.ProcessEnv): string {
  const configFolder = env.FINTECH_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'fintech')
  try {
    const {mtimeMs, size} = statSync(join(configFolder, 'theme.json'))
    return `${mtimeMs}:${size}`
  } catch {
    return 'none'
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

/** A help question's place in the cache: the file holding its answer, and the build it belongs to. */
export interface HelpCacheEntry {
  file: string
  /** Files of other builds (another version, manifest or Node) are stale; this prefix tells ours. */
  buildPrefix: string
}

/** Where the answer to this help question is kept, or undefined when it is not one to keep. */
export function helpCacheEntry({root, argv, env, stdout}: HelpInvocation): HelpCacheEntry | undefined {
  if (env[DISABLED] === '0' || env[DISABLED] === 'off') return undefined
  const subject = helpSubject(argv)
  if (!subject) return undefined
  const manifestFile = join(root, 'oclif.manifest.json')
  let manifest: Manifest
  let manifestStamp: string
  try {
    const {mtimeMs, size} = statSync(manifestFile)
    manifestStamp = `${mtimeMs}:${size}`
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
  } catch {
    return undefined
  }
  if (!isStaticSubject(subject, manifest)) return undefined
  const folder = join(fintechCacheFolder(env), 'help')
  if (!isOwnPrivateFolder(folder)) return undefined
  const build = sha256(JSON.stringify([manifest.version, manifestStamp, process.version, process.platform, process.arch])).slice(0, 12)
  const environment = Object.keys(env)
    .filter((name) => KEYED_ENVIRONMENT.test(name))
    .sort()
    .map((name) => [name, env[name]])
  const question = JSON.stringify([argv, Boolean(stdout.isTTY), stdout.columns ?? null, environment, themeFileStamp(env)])
  return {file: join(folder, `${build}-${sha256(question)}.txt`), buildPrefix: `${build}-`}
}

/** The kept answer, or undefined when there is none (or it cannot be read). */
export function cachedHelp(entry: HelpCacheEntry): string | undefined {
  try {
    return readFileSync(entry.file, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Copies what is written to `stream` until `keep` is called. `keep` stores the copy when the
 * run succeeded and printed something, and removes the answers of other builds; a cache that
 * cannot be written only costs the next run a render.
 */
export function recordHelp(entry: HelpCacheEntry, stream: NodeJS.WriteStream): {keep(succeeded: boolean): void} {
  const chunks: string[] = []
  const write = stream.write
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof stream.write
  return {
    keep(succeeded) {
      stream.write = write
      const text = chunks.join('')
      if (!succeeded || text === '') return
      try {
        const folder = join(entry.file, '..')
        for (const name of readdirSync(folder)) {
          if (name.endsWith('.txt') && !name.startsWith(entry.buildPrefix)) rmSync(join(folder, name), {force: true})
        }
        replacePrivateFile(entry.file, text)
      } catch {}
    },
  }
}
