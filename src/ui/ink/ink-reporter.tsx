import {type Instance, render} from 'ink'

import type {DeployEvent, DeployReporter} from '../../core/deploy/events.js'
import {type DeployState, initialDeployState, reduceDeployState} from '../deploy-state.js'
import {DeployView} from './deploy-view.js'

export interface InkReporterOptions {
  /** The terminal to draw on: stderr, because stdout is kept for the command's final summary. */
  stream: NodeJS.WriteStream
  now?: () => Date
}

/** Live progress for an interactive terminal; only ever constructed when `stream` is a TTY outside CI. */
export class InkReporter implements DeployReporter {
  #state: DeployState = initialDeployState
  readonly #now: () => Date
  readonly #instance: Instance

  constructor(options: InkReporterOptions) {
    this.#now = options.now ?? (() => new Date())
    this.#instance = render(this.#view(), {
      stdout: options.stream,
      stderr: options.stream,
      // Patching would send the command's console.log (its stdout summary) into ink's stream, stderr.
      patchConsole: false,
    })
  }

  emit(event: DeployEvent): void {
    this.#state = reduceDeployState(this.#state, event, this.#now())
    this.#instance.rerender(this.#view())
  }

  async close(): Promise<void> {
    this.#instance.unmount()
    await this.#instance.waitUntilExit()
  }

  #view() {
    return <DeployView state={this.#state} now={this.#now} />
  }
}
