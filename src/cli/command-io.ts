/** What a command's src/cli function needs of the running command: the terminal, nothing of oclif. */
export interface CommandIO {
  /** --json given: the result goes to stdout as JSON, and only there. */
  json: boolean
  /** Progress and notes, on stderr. */
  note(message: string): void
  /** A line of the human result, on stdout, printed before the rest of it. */
  log(message: string): void
}

/** What a command delivers: its text (left out when already shown), exit code and the --json result. */
export interface Outcome<T> {
  text?: string
  exitCode: number
  result: T
}
