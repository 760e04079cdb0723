import {DescribeTaskDefinitionCommand, ECSClient} from '@aws-sdk/client-ecs'
import {mockClient} from 'aws-sdk-client-mock'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {createTaskDefinitionApi} from '../../src/aws/ecs.js'

const ecs = mockClient(ECSClient)

beforeEach(() => {
  ecs.reset()
  delete process.env.AWS_ENDPOINT_URL
})
afterAll(() => ecs.restore())

describe('ECS task definitions', () => {
  it('reads task-level CPU and memory once per definition', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({taskDefinition: {cpu: '512', memory: '1024'}})
    const api = await createTaskDefinitionApi({region: 'eu-west-1'})
    const arn = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/fintech-dev-ledger:7'
    expect(await api.taskSize(arn)).toEqual({cpuUnits: 512, memoryMiB: 1024})
    expect(await api.taskSize(arn)).toEqual({cpuUnits: 512, memoryMiB: 1024})
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((call) => call.args[0].input)).toEqual([{taskDefinition: arn}])
  })

  it('has no size for a definition without task-level CPU and memory', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({taskDefinition: {containerDefinitions: []}})
    const api = await createTaskDefinitionApi({region: 'eu-west-1'})
    expect(await api.taskSize('ec2-task:1')).toBeUndefined()
  })
})
