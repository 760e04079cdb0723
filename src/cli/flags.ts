import {Flags} from '@oclif/core'

/**
 * `-y`/`--yes`, the same flag on every command that asks before it acts; the description says
 * what that command would otherwise ask.
 */
export const yesFlag = (description: string) => Flags.boolean({char: 'y', default: false, description})
