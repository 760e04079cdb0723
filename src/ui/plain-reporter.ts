import type {DeployEvent, DeployReporter} from '../core/deploy/events.js'
import {renderChangeSet} from './change-set.js'
import {describeOutcome, describePhase, describeRootCause, OUTCOME_TONES} from './labels.js'
import {stderrPalette} from './colour.js'

export interface PlainReporterOptions {
  /** Receives one line at a time, without a trailing newline. */
  write: (line: string) => void
  now?: () => Date
}

type Column = 'stack' | 'status' | 'type' | 'logicalId'

/** ISO-8601 UTC to the second: a fixed width keeps the columns after it aligned. */
function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Timestamped lines for pipes and CI logs: no redrawing, no colour unless asked for (FORCE_COLOR, --color), one line per event
 * (a change set is a block of lines), so the log can be grepped and read after the fact.
 */
export class PlainReporter implements DeployReporter {
  readonly #write: (line: string) => void
  readonly #now: () => Date
  /*
   * Columns start at the width of the common values and only grow, because lines already
   * written cannot be re-padded. Stack names are known from the stage start, so that
   * column is right from the first line.
   */
  readonly #widths: Record<Column, number> = {
    stack: 0,
    status: 'UPDATE_ROLLBACK_IN_PROGRESS'.length,
    type: 'AWS::CloudFormation::Stack'.length,
    logicalId: 0,
  }

  constructor(options: PlainReporterOptions) {
    this.#write = options.write
    this.#now = options.now ?? (() => new Date())
  }

  emit(event: DeployEvent): void {
    // One reading per event, so the lines of one event (stack done, root cause) share a time.
    const timestamp = formatTimestamp(this.#now())
    for (const line of this.#linesFor(event, timestamp)) this.#write(line)
  }

  // Every line is written as it comes; there is no terminal to release.
  async close(): Promise<void> {}

  #linesFor(event: DeployEvent, timestamp: string): string[] {
    switch (event.kind) {
      case 'stage-start':
        for (const stackName of event.stackNames) this.#widen('stack', stackName)
        return [this.#line(timestamp, undefined, `stage ${event.stage}: starting ${event.stackNames.join(', ')}`)]
      case 'stage-done':
        return [this.#line(timestamp, undefined, `stage ${event.stage}: ${event.ok ? stderrPalette.good('done') : stderrPalette.bad('failed')}`)]
      case 'stack-phase':
        return [this.#line(timestamp, event.stackName, describePhase(event.phase, event.detail))]
      case 'change-set': {
        const [title, ...rest] = renderChangeSet(event.stackName, event.changeSet, stderrPalette).split('\n')
        return [this.#line(timestamp, undefined, title), ...rest]
      }
      case 'resource-event': {
        // CloudFormation's time, not arrival time: events arrive in batches, one poll late.
        const {stackName, status, resourceType, logicalId, reason, timestamp: happened} = event.event
        const columns = [this.#pad('stack', stackName), this.#pad('status', status), this.#pad('type', resourceType)]
        // Pad the logical id only when a reason follows it, so lines carry no trailing blanks.
        columns.push(reason ? `${this.#pad('logicalId', logicalId)}  (${reason})` : logicalId)
        return [`${formatTimestamp(happened)} ${columns.join('  ')}`]
      }
      case 'stack-done': {
        const tone = OUTCOME_TONES[event.outcome]
        const outcome = describeOutcome(event.outcome, event.status, event.detail)
        const lines = [this.#line(timestamp, event.stackName, tone ? stderrPalette[tone](outcome) : outcome)]
        if (event.rootCause) lines.push(this.#line(timestamp, event.stackName, stderrPalette.bad(describeRootCause(event.rootCause))))
        return lines
      }
      case 'notice': {
        const message = event.level === 'warn' ? stderrPalette.warn(`warning: ${event.message}`) : event.message
        return [this.#line(timestamp, event.stackName, message)]
      }
    }
  }

  #line(timestamp: string, stackName: string | undefined, message: string): string {
    return stackName === undefined ? `${timestamp} ${message}` : `${timestamp} ${this.#pad('stack', stackName)}  ${message}`
  }

  #widen(column: Column, value: string): void {
    this.#widths[column] = Math.max(this.#widths[column], value.length)
  }

  #pad(column: Column, value: string): string {
    this.#widen(column, value)
    return value.padEnd(this.#widths[column])
  }
}
