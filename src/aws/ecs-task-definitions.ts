import type {TaskDefinitionApi, TaskSize} from '../core/cost/api.js'
import {createClient, type AwsTarget} from './clients.js'

/**
 * Task-level CPU and memory of task definitions (what Fargate bills), one
 * DescribeTaskDefinition per distinct definition in a run.
 */
export async function createTaskDefinitionApi(target: AwsTarget): Promise<TaskDefinitionApi> {
  const ecs = await import('@aws-sdk/client-ecs')
  const client = createClient(ecs.ECSClient, target)
  const known = new Map<string, Promise<TaskSize | undefined>>()
  const describe = async (taskDefinition: string): Promise<TaskSize | undefined> => {
    const {taskDefinition: found} = await client.send(new ecs.DescribeTaskDefinitionCommand({taskDefinition}))
    const cpuUnits = Number(found?.cpu)
    const memoryMiB = Number(found?.memory)
    return found?.cpu && found.memory && Number.isFinite(cpuUnits) && Number.isFinite(memoryMiB) ? {cpuUnits, memoryMiB} : undefined
  }
  return {
    taskSize(taskDefinition) {
      if (!known.has(taskDefinition)) known.set(taskDefinition, describe(taskDefinition))
      return known.get(taskDefinition)!
    },
  }
}
