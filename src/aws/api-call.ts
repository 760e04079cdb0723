import type {RunbookAws} from '../core/runbook/engine.js'
import {InputError} from '../core/errors.js'
import {RUNBOOK_SERVICES, SDK_SERVICES, type SdkModule} from './api-models.js'
import {createClient, type AwsTarget} from './clients.js'

type SdkClient = ReturnType<typeof createClient> & {send(command: unknown, options?: {abortSignal?: AbortSignal}): Promise<Record<string, unknown>>}

/**
 * Calls `api` of `service` with the step's parameters as the request (the API's own member
 * names, as in SSM's aws:executeAwsApi). One client per service for the whole run, so the
 * adaptive retry state is shared across steps. The response comes back without $metadata.
 */
export function createRunbookAws(target: AwsTarget): RunbookAws {
  const clients = new Map<string, Promise<{module: SdkModule; client: SdkClient}>>()
  const open = (service: string) => {
    const known = SDK_SERVICES[service]
    if (!known) throw new InputError(`a runbook step calls service ${service}, which fintech cannot call (services: ${RUNBOOK_SERVICES.join(', ')})`)
    let opened = clients.get(service)
    if (!opened) {
      opened = known.load().then((module) => ({module, client: createClient(module[known.client] as new (config: object) => SdkClient, target)}))
      clients.set(service, opened)
    }
    return opened
  }
  return {
    async call(service, api, parameters, signal) {
      const {module, client} = await open(service)
      const Command = module[`${api}Command`] as (new (input: unknown) => unknown) | undefined
      if (!Command) throw new InputError(`${service} has no API ${api} (as the AWS SDK spells it, e.g. DescribeDBClusters)`)
      const {$metadata: _metadata, ...response} = await client.send(new Command(parameters), {abortSignal: signal})
      return response
    },
  }
}
