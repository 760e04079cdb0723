import {createInterface} from 'node:readline/promises'

/** Destructive commands ask the user to type a word (the env name), not just "y". */
export async function typedConfirmation(prompt: string, expected: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<boolean> {
  const readline = createInterface({input, output})
  try {
    return (await readline.question(`${prompt} Type "${expected}" to confirm: `)).trim() === expected
  } finally {
    readline.close()
  }
}
