import type {Instance} from 'ink'

import type {DeployEvent, DeployReporter} from '../../core/deploy/events.js'
import {type DeployState, initialDeployState, isAwaitingApproval, reduceDeployState} from '../deploy-state.js'
import {DeployView} from './deploy-view.js'
import {closeView, renderInColour} from './render.js'

export interface InkReporterOptions {
  /** The terminal to draw on: stderr, because stdout is kept for the command's final summary. */
  stream: NodeJS.WriteStream
  now?: () => Date
}

/**
 * Live progress for an interactive terminal; only ever constructed when `stream` is a TTY
 * outside CI.
 *
 * The approval prompt is written to the same terminal, and ink would redraw over it (it
 * erases as many lines as its last frame had, counted from the cursor). So while a stack
 * awaits approval ink is unmounted, leaving its last frame on screen above the question,
 * and a fresh ink instance takes over below the answer once the engine moves on.
 */
export class InkReporter implements DeployReporter {
  readonly #stream: NodeJS.WriteStream
  readonly #now: () => Date
  #state: DeployState = initialDeployState
  #instance: Instance | undefined
  /** Change sets an earlier ink instance already printed; a new instance must not print them again. */
  #printedChangeSets = 0

  constructor(options: InkReporterOptions) {
    this.#stream = options.stream
    this.#now = options.now ?? (() => new Date())
    this.#instance = this.#mount()
  }

  emit(event: DeployEvent): void {
    this.#state = reduceDeployState(this.#state, event, this.#now())
    if (this.#instance) {
      this.#instance.rerender(this.#view())
      if (isAwaitingApproval(this.#state)) this.#yieldTerminal(this.#instance)
    } else if (!isAwaitingApproval(this.#state)) {
      this.#instance = this.#mount()
    }
  }

  async close(): Promise<void> {
    const instance = this.#instance ?? this.#mount()
    this.#instance = undefined
    await closeView(instance)
  }

  #mount(): Instance {
    return renderInColour(this.#view(), {
      stdout: this.#stream,
      stderr: this.#stream,
      // Patching would send the command's console.log (its stdout summary) into ink's stream, stderr.
      patchConsole: false,
    })
  }

  #yieldTerminal(instance: Instance): void {
    instance.unmount()
    this.#instance = undefined
    this.#printedChangeSets = this.#state.changeSets.length
  }

  #view() {
    const state = {...this.#state, changeSets: this.#state.changeSets.slice(this.#printedChangeSets)}
    return <DeployView state={state} now={this.#now} />
  }
}
