import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {ensurePrivateDirectory, fintechCacheFolder, replacePrivateFile} from '../private-files.js'

/**
 * Where Cost Explorer answers are kept: `$FINTECH_CACHE_DIR/cost` when set, otherwise
 * `$XDG_CACHE_HOME/fintech/cost`, otherwise `~/.cache/fintech/cost`.
 */
export function costCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(fintechCacheFolder(env, home), 'cost')
}

/** Object keys sorted at every level, so equal requests hash alike whatever order they were built in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => [key, canonical(item)]),
  )
}

/**
 * Who asks Cost Explorer, as far as its answers depend on it. Cost Explorer answers from the
 * caller's account: a member account sees only its own costs, the management (payer) account
 * every account's. So the same query asked with another account's credentials is another
 * question, however they were found (a profile, environment variables, SSO), and the same
 * account under another profile name is the same question. The payer is not part of the key:
 * an account has one payer, the management account of its organization, so the account id
 * already tells the payer apart, and asking Organizations for it would add a request, a
 * permission and a failure to every run. `endpoint` keeps an emulator's accounts (moto's and
 * LocalStack's are all 123456789012) apart from each other and from AWS's.
 */
export interface CostAsker {
  /** The caller's account id, as STS GetCallerIdentity names it. */
  account: string
  /** AWS_ENDPOINT_URL, or "AWS". */
  endpoint: string
}

interface Entry<T> {
  date: string
  fetchedAt: string
  request: unknown
  value: T
}

/**
 * Answers kept on disk for the UTC day they were fetched: Cost Explorer charges $0.01 a
 * request and its figures change at most a few times a day. A file per request and asker,
 * named by the day and a hash of both; files of earlier days are removed on the next write.
 * An unreadable file is a miss, never an error.
 */
export class ResponseCache {
  constructor(
    private readonly dir: string,
    private readonly today: string,
  ) {}

  private keyOf(asker: CostAsker, request: unknown): unknown {
    return canonical({askedBy: {account: asker.account, endpoint: asker.endpoint}, request})
  }

  private fileOf(key: unknown): string {
    const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32)
    return join(this.dir, `${this.today}-${hash}.json`)
  }

  get<T>(asker: CostAsker, request: unknown): {value: T; fetchedAt: string} | undefined {
    const key = this.keyOf(asker, request)
    try {
      const entry = JSON.parse(readFileSync(this.fileOf(key), 'utf8')) as Entry<T>
      if (entry.date !== this.today || JSON.stringify(entry.request) !== JSON.stringify(key)) return undefined
      return {value: entry.value, fetchedAt: entry.fetchedAt}
    } catch {
      return undefined
    }
  }

  put<T>(asker: CostAsker, request: unknown, value: T, fetchedAt: Date): void {
    const key = this.keyOf(asker, request)
    const file = this.fileOf(key)
    const entry: Entry<T> = {date: this.today, fetchedAt: fetchedAt.toISOString(), request: key, value}
    try {
      ensurePrivateDirectory(this.dir)
      for (const name of readdirSync(this.dir)) {
        if (/^\d{4}-\d{2}-\d{2}-[0-9a-f]+\.json$/.test(name) && !name.startsWith(`${this.today}-`)) rmSync(join(this.dir, name), {force: true})
      }
      // Another account's costs are no business of other users of the machine.
      replacePrivateFile(file, JSON.stringify(entry))
    } catch {
      // A cache that cannot be written only costs the next run a request.
    }
  }
}
