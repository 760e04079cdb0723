import {Flags} from '@oclif/core'
import {DEFAULT_CONFIG_FILE} from '../core/config/load.js'
import {COST_METRICS} from '../core/cost/api.js'
import {InputError} from '../core/errors.js'
import {DEFAULT_MASTER_NAME} from '../core/redis/api.js'
import {GLOBAL_REGION} from '../core/tags/api.js'

/** The flags of fintech's commands, in one place, so that one name means one thing everywhere. */

export const configFlag = Flags.string({
  description: 'path of the fintech config file',
  default: DEFAULT_CONFIG_FILE,
  env: 'FINTECH_CONFIG',
  helpGroup: 'GLOBAL',
})

export const colorFlag = Flags.boolean({
  allowNo: true,
  description: 'colour the output, or not (default: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it; never with --json)',
  helpGroup: 'GLOBAL',
})

/** The base flags of a command that never calls AWS: no --profile or --region to offer. */
export const offlineBaseFlags = {config: configFlag, color: colorFlag}

export const awsFlags = {
  profile: Flags.string({description: 'AWS profile to use instead of the environment\'s own', helpGroup: 'GLOBAL'}),
  region: Flags.string({description: 'AWS region to use instead of the environment\'s own', helpGroup: 'GLOBAL'}),
}

/**
 * `-y`/`--yes`, the same flag on every command that asks before it acts; the description says
 * what that command would otherwise ask.
 */
export const yesFlag = (description: string) => Flags.boolean({char: 'y', default: false, description})

/** The flags `fintech deploy` and `fintech plan` share. */
export const stackFlags = {
  stage: Flags.string({description: 'stage to deploy, or "all" for every stage in order', required: true}),
  env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
  offline: Flags.boolean({default: false, description: 'plan from the files alone, without credentials or AWS calls (implies --dry-run)'}),
  concurrency: Flags.integer({description: 'stacks of one stage deployed at once (default from config)', min: 1, max: 16}),
}

export const costFlags = {
  metric: Flags.string({description: 'Cost Explorer metric', options: [...COST_METRICS], default: 'UnblendedCost'}),
  refresh: Flags.boolean({default: false, description: 'ask Cost Explorer again instead of using today\'s cached answers (and cache the new ones)'}),
}

/** A share of requests in percent, decimals allowed: a bank may want 0.5%. */
export const percentFlag = Flags.custom<number>({
  async parse(input) {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) throw new InputError(`expected a percentage from 0 to 100, got "${input}"`)
    return value
  },
})

/** Flags every `fintech redis` command shares: where the tier is and how to reach it. */
export const redisFlags = {
  env: Flags.string({description: 'environment whose data stack outputs give the Sentinels, master name, password secret and instances'}),
  sentinel: Flags.string({multiple: true, description: 'a Sentinel as host:port (repeat for each), instead of the data stack\'s outputs'}),
  'master-name': Flags.string({description: `the name Sentinel monitors the primary under (default: the data stack's RedisMasterName, else ${DEFAULT_MASTER_NAME})`}),
  'via-ssm': Flags.boolean({description: 'reach the private addresses through SSM port forwarding (needs the AWS CLI and session-manager-plugin)', default: false}),
}

export const tagsFlags = {
  env: Flags.string({description: 'environment from fintech.config.yaml', required: true}),
  region: Flags.string({
    description: `region to cover (repeatable); the env's region and ${GLOBAL_REGION} (global resources) when left out`,
    multiple: true,
  }),
}

/** Flags `run` and `resume` share. */
export const runFlags = {
  yes: yesFlag('approve the approval steps in advance (never in a protected env, where the env name must be typed at a terminal)'),
  'log-group': Flags.string({description: 'also write the run\'s audit lines to this CloudWatch Logs group (a stream named after the run)'}),
}

/** The flags of a new run: `fintech runbook run NAME` and `fintech runbook NAME` take the same ones. */
export const startFlags = {
  env: Flags.string({description: 'the environment to run in (one of the runbook\'s envs)', required: true}),
  param: Flags.string({char: 'p', description: 'a parameter as NAME=VALUE (repeat for each)', multiple: true}),
  'dry-run': Flags.boolean({description: 'read-only calls up to the first change; every change shown, none made', default: false}),
  ...runFlags,
}

/** The env of `shutdown plan`, `stop`, `start` and `status`. */
export const shutdownEnvFlag = Flags.string({description: 'environment from fintech.config.yaml (never a protected one)', required: true})

export const scheduledFlag = Flags.boolean({
  default: false,
  description: "run only if the env's schedule says so now (start skips holidays and days off); what the scheduled job passes",
})
