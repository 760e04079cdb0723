import {Errors, toConfiguredId, type Config, type Hook} from '@oclif/core'

/** Levenshtein distance: the edits (insert, delete, substitute one character) from `from` to `to`. */
export function editDistance(from: string, to: string): number {
  let previous = Array.from({length: to.length + 1}, (_, index) => index)
  for (let i = 1; i <= from.length; i++) {
    const current = [i]
    for (let j = 1; j <= to.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (from[i - 1] === to[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[to.length]!
}

/**
 * The command @oclif/plugin-not-found would offer for `id`: the nearest visible command id or
 * alias, the first listed on a tie.
 */
export function closestCommand(id: string, config: Pick<Config, 'commandIDs' | 'commands'>): string | undefined {
  const hidden = new Set(config.commands.filter((command) => command.hidden).map((command) => command.id))
  const candidates = [...config.commandIDs, ...config.commands.flatMap((command) => command.aliases)].filter((candidate) => !hidden.has(candidate))
  let best: {id: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(id, candidate)
    if (!best || distance < best.distance) best = {id: candidate, distance}
  }
  return best?.id
}

/**
 * `fintech runbook NAME` for a runbook that has no command of its own — one only in the
 * project's runbooks/, or any runbook when oclif runs from src — is `fintech runbook run NAME`.
 * Any other unknown command gets the nearest command: on a terminal @oclif/plugin-not-found
 * asks whether to run it; without one nobody can answer, so the suggestion is printed and the
 * exit code is 2 (bad usage), as for any other mistyped input. The plugin is not registered in
 * package.json: oclif runs every plugin's command_not_found hook at once, and it would answer
 * `fintech runbook NAME` too.
 */
const runRunbookOrSuggest: Hook.CommandNotFound = async function (options) {
  const {argv = [], config, id} = options
  const [topic, name, ...rest] = id.split(':')
  if (topic === 'runbook' && name) return config.runCommand('runbook:run', [name, ...rest, ...argv])
  if (process.stdin.isTTY && process.stdout.isTTY) {
    const {default: askAboutClosest} = await import('@oclif/plugin-not-found')
    // The plugin exits 127 (the shell's "command not found") when the answer is no; fintech's usage errors exit 2.
    const context = {...this, error: (message: string | Error) => Errors.error(message, {exit: 2})}
    return askAboutClosest.call(context, options)
  }
  const suggestion = closestCommand(id, config)
  const helpTopic = topic && config.findTopic(topic) ? ` ${topic}` : ''
  throw new Errors.CLIError(`command ${toConfiguredId(id, config)} not found${suggestion ? `. Did you mean ${config.bin} ${toConfiguredId(suggestion, config)}?` : ''}`, {
    exit: 2,
    suggestions: [`${config.bin} help${helpTopic}`],
  })
}

export default runRunbookOrSuggest
