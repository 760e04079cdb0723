import type {LoadedConfig} from '../core/config/load.js'
import {loadRunbooks, type RunbookSet} from '../core/runbook/load.js'

/** The project's runbooks: runbooks/ next to the config file, envs and stacks checked against the config. */
export const projectRunbooks = (loaded: LoadedConfig): RunbookSet => loadRunbooks(loaded.root, Object.keys(loaded.config.environments), loaded.config.stages.flatMap((stage) => stage.stacks.map((stack) => stack.id)))
