import chalk, {chalkStderr, type ChalkInstance, type ColorSupportLevel} from 'chalk'

/** What the user asked for, from the command line and the environment. */
export interface ColourRequest {
  /** --color (true) or --no-color (false); undefined when neither was given. */
  flag?: boolean
  /** --json: machine output is never coloured. */
  json: boolean
  env: NodeJS.ProcessEnv
}

/** The part of a stream that decides how much colour it gets. */
export interface ColourStream {
  isTTY?: boolean
  getColorDepth?: (env?: object) => number
}

/** FORCE_COLOR as chalk and Node read it: unset, a level 0-3, or "true"/"" for level 1. */
function forcedLevel(value: string | undefined): ColorSupportLevel | undefined {
  if (value === undefined) return undefined
  if (value === 'false') return 0
  const level = Number.parseInt(value, 10)
  return Number.isNaN(level) ? 1 : (Math.min(Math.max(level, 0), 3) as ColorSupportLevel)
}

const levelOfDepth = (bits: number): ColorSupportLevel => (bits >= 24 ? 3 : bits >= 8 ? 2 : bits >= 4 ? 1 : 0)

/**
 * How much colour a stream gets. The command line wins (--no-color, --color), then FORCE_COLOR
 * (as in Node, it overrides NO_COLOR), then NO_COLOR (no-color.org: set and not empty), and
 * otherwise only a terminal is coloured, as deep as it supports. --json is never coloured.
 */
export function colourLevel(request: ColourRequest, stream: ColourStream): ColorSupportLevel {
  if (request.json || request.flag === false) return 0
  const forced = request.flag === true ? 1 : forcedLevel(request.env.FORCE_COLOR)
  if (forced === 0) return 0
  const depth = stream.isTTY && stream.getColorDepth ? levelOfDepth(stream.getColorDepth(request.env)) : 0
  if (forced !== undefined) return Math.max(forced, depth) as ColorSupportLevel
  if (request.env.NO_COLOR) return 0
  return depth
}

/**
 * Sets chalk's level for stdout (the default instance, which ink draws with too) and for
 * stderr from one request, so every renderer and every ink view follows the same decision.
 */
export function applyColour(request: ColourRequest, streams: {stdout: ColourStream; stderr: ColourStream}): void {
  chalk.level = colourLevel(request, streams.stdout)
  chalkStderr.level = colourLevel(request, streams.stderr)
}

/**
 * ink colours with chalk's default instance, which follows stdout's decision, and draws its
 * frames later than it is told to (throttled), so a view on stderr (deploy, runbook) takes
 * stderr's decision for as long as it is mounted. Returns what puts stdout's decision back,
 * to call once the view is unmounted (its last frame is drawn by then); one view is mounted
 * at a time.
 */
export function lendColour(stream: unknown): () => void {
  const stdoutLevel = chalk.level
  if (stream === process.stderr) chalk.level = chalkStderr.level
  return () => {
    chalk.level = stdoutLevel
  }
}

/** The few tones the plain output uses; each is a no-op at level 0. */
export interface Palette {
  good: (text: string) => string
  bad: (text: string) => string
  warn: (text: string) => string
  muted: (text: string) => string
  strong: (text: string) => string
}

const paletteOf = (instance: ChalkInstance): Palette => ({
  good: (text) => instance.green(text),
  bad: (text) => instance.red(text),
  warn: (text) => instance.yellow(text),
  muted: (text) => instance.gray(text),
  strong: (text) => instance.bold(text),
})

/** For what a command prints on stdout: results, reports, tables. */
export const stdoutPalette = paletteOf(chalk)
/** For progress and notes on stderr. */
export const stderrPalette = paletteOf(chalkStderr)
