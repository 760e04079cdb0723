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
 * How far a typo may be from a command and still be one: half the letters of the word typed last
 * (the one after the topic), at least one. Without a limit every word has a nearest command,
 * and `fintech xyzzy` would be asked whether it meant `fintech scp`.
 */
const reachOf = (id: string): number => Math.max(1, Math.floor(id.slice(id.lastIndexOf(':') + 1).length / 2))

/** The nearest visible command id or alias to `id` within reach, the first listed on a tie; none when every command is too far. */
export function closestCommand(id: string, config: Pick<Config, 'commandIDs' | 'commands'>): string | undefined {
  const hidden = new Set(config.commands.filter((command) => command.hidden).map((command) => command.id))
  const candidates = [...config.commandIDs, ...config.commands.flatMap((command) => command.aliases)].filter((candidate) => !hidden.has(candidate))
  let best: {id: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(id, candidate)
    if (!best || distance < best.distance) best = {id: candidate, distance}
  }
  return best && best.distance <= reachOf(id) ? best.id : undefined
}

/** The config as the not-found plugin sees it: the one command suggested here, so it offers no other. */
function offering<C extends object>(config: C, suggestion: string): C {
  return new Proxy(config, {
    get(target, property) {
      if (property === 'commandIDs') return [suggestion]
      if (property === 'commands') return []
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * `fintech runbook NAME` for a runbook that has no command of its own — one only in the
 * project's runbooks/, or any runbook when oclif runs from src — is `fintech runbook run NAME`.
 * Any other unknown command gets the nearest command within reach: on a terminal
 * @oclif/plugin-not-found asks whether to run it; without one nobody can answer, so the
 * suggestion is printed and the exit code is 2 (bad usage), as for any other mistyped input.
 * With no command within reach there is nothing to ask: the error and the help to read. The
 * plugin is not registered in package.json: oclif runs every plugin's command_not_found hook at
 * once, and it would answer `fintech runbook NAME` too.
 */
const runRunbookOrSuggest: Hook.CommandNotFound = async function (options) {
  const {argv = [], config, id} = options
  const [topic, name, ...rest] = id.split(':')
  if (topic === 'runbook' && name) return config.runCommand('runbook:run', [name, ...rest, ...argv])
  const suggestion = closestCommand(id, config)
  if (suggestion && process.stdin.isTTY && process.stdout.isTTY) {
    const {default: askAboutClosest} = await import('@oclif/plugin-not-found')
    // The plugin exits 127 (the shell's "command not found") when the answer is no; fintech's usage errors exit 2.
    const context = {...this, error: (message: string | Error) => Errors.error(message, {exit: 2})}
    return askAboutClosest.call(context, {...options, config: offering(config, suggestion)})
  }
  const helpTopic = topic && config.findTopic(topic) ? ` ${topic}` : ''
  throw new Errors.CLIError(`command ${toConfiguredId(id, config)} not found${suggestion ? `. Did you mean ${config.bin} ${toConfiguredId(suggestion, config)}?` : ''}`, {
    exit: 2,
    suggestions: [`${config.bin} help${helpTopic}`],
  })
}

export default runRunbookOrSuggest
