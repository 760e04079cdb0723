import {Command, Errors, type Interfaces} from '@oclif/core'
import {loadConfig, type LoadedConfig} from '../core/config/load.js'
import {FintechError} from '../core/errors.js'
import {resolveEnv, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {CommandIO, Outcome} from './command-io.js'
import {applyColour} from '../ui/colour.js'
import {awsFlags, offlineBaseFlags} from './flags.js'

/** oclif's FlagOutput and ArgOutput, which its index does not export. */
type ParsedValues = {[name: string]: any}


/** Flags and error handling every fintech command shares. */
export abstract class FintechCommand extends Command {
  static enableJsonFlag = true

  // Optional in the type, so that a command that never calls AWS can leave them out (offlineBaseFlags).
  static baseFlags: typeof offlineBaseFlags & Partial<typeof awsFlags> = {...offlineBaseFlags, ...awsFlags}

  static offlineBaseFlags = offlineBaseFlags

  /** Every command parses its flags first: the colour decision is taken there, once. */
  protected async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv)
    applyColour({flag: (parsed.flags as {color?: boolean}).color, json: this.jsonEnabled(), env: process.env}, {stdout: process.stdout, stderr: process.stderr})
    return parsed
  }

  protected readConfig(path: string): LoadedConfig {
    return loadConfig(path)
  }

  /** The env named by --env, resolved once for the whole run. */
  protected resolveEnv(loaded: LoadedConfig, envName: string, flags: TargetFlags): ResolvedEnv {
    return resolveEnv(loaded, envName, flags)
  }

  /** The terminal as the command's src/cli function sees it. */
  protected io(): CommandIO {
    return {json: this.jsonEnabled(), note: (message) => this.note(message), log: (message) => this.log(message)}
  }

  /** Human progress and notes: stderr, so stdout stays clean for the result and `--json`. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  /** Prints a command's text unless --json, sets its exit code, and hands oclif the JSON result. */
  protected deliver<T>(outcome: Outcome<T>): T {
    if (!this.jsonEnabled() && outcome.text !== undefined) this.log(outcome.text)
    process.exitCode = outcome.exitCode
    return outcome.result
  }

  protected async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // With --json oclif prints the error instead of throwing it, and takes the exit code from here.
    const exitCode = error instanceof FintechError ? error.exitCode : error.oclif?.exit
    if (exitCode !== undefined) process.exitCode = exitCode
    if (error instanceof FintechError) {
      return super.catch(new Errors.CLIError(error.message, {exit: error.exitCode, suggestions: error.hint ? [error.hint] : undefined}))
    }
    return super.catch(error)
  }
}
