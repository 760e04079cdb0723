import type {DeployReporter} from '../core/deploy/events.js'
import {PlainReporter} from './plain-reporter.js'

export interface ReporterOptions {
  /** Progress always goes here; stdout is left for the summary the command prints itself. */
  stderr: NodeJS.WriteStream
  /** With --json the plain lines still go to stderr, as logs beside the JSON on stdout. */
  json: boolean
}

/**
 * Live ink progress on an interactive terminal, timestamped plain lines everywhere else:
 * ink writes every frame, erase codes included, into pipes and only the last frame under CI.
 */
export async function createReporter(options: ReporterOptions): Promise<DeployReporter> {
  if (options.stderr.isTTY && !process.env.CI && !options.json) {
    // ink and react cost about 450 ms to import, so only a terminal session pays for them.
    const {InkReporter} = await import('./ink/ink-reporter.js')
    return new InkReporter({stream: options.stderr})
  }
  return new PlainReporter({write: (line) => options.stderr.write(`${line}\n`)})
}
