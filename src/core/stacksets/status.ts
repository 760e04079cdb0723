import type {StackSetConfig} from '../config/schema.js'
import type {OperationSummary, StackInstance, StackSetApi} from './api.js'
import {newestOperation} from './plan.js'

export interface StackSetStatus {
  name: string
  env: string
  deployed: boolean
  lastOperation?: OperationSummary
  instances: StackInstance[]
}

/**
 * Reads each StackSet's instances with the drift verdict CloudFormation keeps from the last
 * detection (DriftStatus, LastDriftCheckTimestamp). It starts no drift detection: that is an
 * operation on the StackSet, which would queue behind (and block) a rollout.
 */
export async function readStackSetStatus(stackSets: StackSetConfig[], api: StackSetApi): Promise<StackSetStatus[]> {
  return Promise.all(
    stackSets.map(async (stackSet): Promise<StackSetStatus> => {
      const live = await api.describeStackSet(stackSet.name)
      if (!live) return {name: stackSet.name, env: stackSet.env, deployed: false, instances: []}
      const [instances, operations] = await Promise.all([api.listInstances(stackSet.name), api.operations(stackSet.name)])
      return {name: stackSet.name, env: stackSet.env, deployed: true, lastOperation: newestOperation(operations), instances}
    }),
  )
}
