import {showsLiveView} from './terminal.js'

/** Where the progress line goes: stderr, and only when it is a terminal. */
export interface ProgressStream {
  isTTY?: boolean
  write(text: string): unknown
}

export interface LintProgress {
  /** The built-in checks are over; what is left is waiting for cfn-lint. */
  builtinChecksDone(): void
  /** Clears the line, leaving the terminal as it was for the findings. */
  stop(): void
}

const CLEAR_LINE = '\r\u001B[2K'
const SILENT: LintProgress = {builtinChecksDone() {}, stop() {}}

/**
 * One self-rewriting line on a terminal while `validate` runs its checks and cfn-lint side by
 * side, with the seconds spent waiting for cfn-lint. Nothing at all in pipes, under CI or with
 * --json, where a rewritten line is only noise in a log.
 */
export function lintProgress(stream: ProgressStream, templates: number, options: {json: boolean}): LintProgress {
  if (!showsLiveView(stream, options)) return SILENT
  const files = `${templates} template${templates === 1 ? '' : 's'}`
  stream.write(`${CLEAR_LINE}Checking ${files}: built-in checks, cfn-lint alongside…`)
  let ticker: NodeJS.Timeout | undefined
  return {
    builtinChecksDone() {
      const started = Date.now()
      const show = () => stream.write(`${CLEAR_LINE}Built-in checks done; cfn-lint on ${files}… ${Math.floor((Date.now() - started) / 1000)} s`)
      show()
      ticker = setInterval(show, 1000)
      ticker.unref()
    },
    stop() {
      clearInterval(ticker)
      stream.write(CLEAR_LINE)
    },
  }
}
