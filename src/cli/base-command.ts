import {Command, Errors, Flags} from '@oclif/core'
import {DEFAULT_CONFIG_FILE, loadConfig, type LoadedConfig} from '../core/config/load.js'
import {FintechError} from '../core/errors.js'
import {resolveEnv, type AwsTarget, type ResolvedEnv, type TargetFlags} from '../core/config/env.js'
import type {CommandIO, Outcome} from './command-io.js'

/** Flags and error handling every fintech command shares. */
export abstract class FintechCommand extends Command {
  static enableJsonFlag = true

  static baseFlags = {
    config: Flags.string({
      description: 'path of the fintech config file',
      default: DEFAULT_CONFIG_FILE,
      env: 'FINTECH_CONFIG',
      helpGroup: 'GLOBAL',
    }),
    profile: Flags.string({description: 'AWS profile to use instead of the environment\'s own', helpGroup: 'GLOBAL'}),
    region: Flags.string({description: 'AWS region to use instead of the environment\'s own', helpGroup: 'GLOBAL'}),
  }

  protected readConfig(path: string): LoadedConfig {
    return loadConfig(path)
  }

  /** The env named by --env, resolved once for the whole run. */
  protected resolveEnv(loaded: LoadedConfig, envName: string, flags: TargetFlags): ResolvedEnv {
    return resolveEnv(loaded, envName, flags)
  }

  protected awsTarget(loaded: LoadedConfig, envName: string, flags: TargetFlags): AwsTarget {
    return this.resolveEnv(loaded, envName, flags).target
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
