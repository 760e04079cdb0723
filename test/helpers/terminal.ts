import {PassThrough} from 'node:stream'

/**
 * Runs `work` with process.stdin standing in for a terminal where the user types `answer`,
 * for commands that ask before a change only when a person is there to answer.
 */
export async function withTerminalTyping<T>(answer: string, work: () => Promise<T>): Promise<T> {
  const real = Object.getOwnPropertyDescriptor(process, 'stdin')!
  const terminal = Object.assign(new PassThrough(), {isTTY: true, setRawMode: () => terminal})
  Object.defineProperty(process, 'stdin', {value: terminal, configurable: true})
  terminal.write(`${answer}\n`)
  try {
    return await work()
  } finally {
    Object.defineProperty(process, 'stdin', real)
  }
}
