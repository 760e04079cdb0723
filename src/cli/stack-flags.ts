import {Flags} from '@oclif/core'

/** The flags `fintech deploy` and `fintech plan` share. */
export const stackFlags = {
  stage: Flags.string({description: 'stage to deploy, or "all" for every stage in order', required: true}),
  env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
  offline: Flags.boolean({default: false, description: 'plan from the files alone, without credentials or AWS calls (implies --dry-run)'}),
  concurrency: Flags.integer({description: 'stacks of one stage deployed at once (default from config)', min: 1, max: 16}),
}
