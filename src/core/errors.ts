/**
 * Exit codes shared by every command (DESIGN.md): 0 ok, 1 failed, 2 bad usage or input,
 * 3 partly done. Errors carry their code so commands never pick one ad hoc.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  partial: 3,
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class FintechError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
    readonly hint?: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** Bad input: a flag, a file or a value the user can correct. Nothing was changed. */
export class InputError extends FintechError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint)
  }
}

/** A file the user wrote is wrong at a known place. */
export class FileError extends InputError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly keyPath?: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${keyPath ? `${keyPath}: ` : ''}${detail}`)
  }
}
