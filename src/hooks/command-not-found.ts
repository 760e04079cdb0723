import {Errors, type Hook} from '@oclif/core'

/**
 * `fintech runbook NAME` for a runbook that has no command of its own — one only in the
 * project's runbooks/, or any runbook when oclif runs from src — is `fintech runbook run NAME`.
 * Any other unknown command stays the error oclif gives.
 */
const runRunbookByName: Hook.CommandNotFound = async function ({argv = [], config, id}) {
  const [topic, name, ...rest] = id.split(':')
  if (topic !== 'runbook' || !name) throw new Errors.CLIError(`command ${id} not found`)
  return config.runCommand('runbook:run', [name, ...rest, ...argv])
}

export default runRunbookByName
