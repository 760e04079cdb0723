import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations'
import {mockClient} from 'aws-sdk-client-mock'
import {beforeEach, describe, expect, it} from 'vitest'
import {createOrganizationsApi} from '../../src/aws/organizations.js'

const orgs = mockClient(OrganizationsClient)
const TARGET = {region: 'us-east-1'}
const failure = (name: string) => Object.assign(new Error(`${name}: it failed`), {name, $metadata: {httpStatusCode: 400}})

beforeEach(() => {
  orgs.reset()
  delete process.env.AWS_ENDPOINT_URL
})

describe('createOrganizationsApi', () => {
  it('reads every page of every list, handing each page\'s token to the next request', async () => {
    orgs
      .on(ListPoliciesCommand, {Filter: 'SERVICE_CONTROL_POLICY', NextToken: undefined})
      .resolves({Policies: [{Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', Type: 'SERVICE_CONTROL_POLICY', AwsManaged: true}], NextToken: 't1'})
      .on(ListPoliciesCommand, {Filter: 'SERVICE_CONTROL_POLICY', NextToken: 't1'})
      .resolves({Policies: [{Id: 'p-abc', Name: 'fintech-x', Description: 'x', Type: 'SERVICE_CONTROL_POLICY', AwsManaged: false}]})
    orgs.on(ListOrganizationalUnitsForParentCommand, {NextToken: undefined}).resolves({OrganizationalUnits: [{Id: 'ou-1', Name: 'Dev'}], NextToken: 'n'})
    orgs.on(ListOrganizationalUnitsForParentCommand, {NextToken: 'n'}).resolves({OrganizationalUnits: [{Id: 'ou-2', Name: 'Prod'}]})
    orgs.on(ListTargetsForPolicyCommand, {NextToken: undefined}).resolves({Targets: [{TargetId: 'r-ab12', Type: 'ROOT', Name: 'Root'}], NextToken: 'n'})
    orgs.on(ListTargetsForPolicyCommand, {NextToken: 'n'}).resolves({Targets: [{TargetId: 'ou-2', Type: 'ORGANIZATIONAL_UNIT', Name: 'Prod'}]})
    orgs.on(ListPoliciesForTargetCommand, {NextToken: undefined}).resolves({Policies: [{Id: 'p-FullAWSAccess', Name: 'FullAWSAccess', Type: 'SERVICE_CONTROL_POLICY', AwsManaged: true}], NextToken: 'n'})
    orgs.on(ListPoliciesForTargetCommand, {NextToken: 'n'}).resolves({Policies: [{Id: 'p-abc', Name: 'fintech-x', Type: 'SERVICE_CONTROL_POLICY'}]})
    orgs.on(ListTagsForResourceCommand, {NextToken: undefined}).resolves({Tags: [{Key: 'fintech:managed', Value: 'true'}], NextToken: 'n'})
    orgs.on(ListTagsForResourceCommand, {NextToken: 'n'}).resolves({Tags: [{Key: 'Owner', Value: 'platform'}]})
    const api = await createOrganizationsApi(TARGET)

    expect(await api.listPolicies('SERVICE_CONTROL_POLICY')).toEqual([
      {id: 'p-FullAWSAccess', name: 'FullAWSAccess', description: '', type: 'SERVICE_CONTROL_POLICY', awsManaged: true},
      {id: 'p-abc', name: 'fintech-x', description: 'x', type: 'SERVICE_CONTROL_POLICY', awsManaged: false},
    ])
    expect(await api.listOrganizationalUnits('r-ab12')).toEqual([{id: 'ou-1', name: 'Dev'}, {id: 'ou-2', name: 'Prod'}])
    expect(await api.listTargetsForPolicy('p-abc')).toEqual([{id: 'r-ab12', type: 'ROOT', name: 'Root'}, {id: 'ou-2', type: 'ORGANIZATIONAL_UNIT', name: 'Prod'}])
    expect((await api.listPoliciesForTarget('ou-2', 'SERVICE_CONTROL_POLICY')).map((policy) => policy.id)).toEqual(['p-FullAWSAccess', 'p-abc'])
    expect(await api.listTags('p-abc')).toEqual({'fintech:managed': 'true', Owner: 'platform'})
    expect(orgs.commandCalls(ListPoliciesCommand).map((call) => call.args[0].input)).toEqual([
      {Filter: 'SERVICE_CONTROL_POLICY', NextToken: undefined},
      {Filter: 'SERVICE_CONTROL_POLICY', NextToken: 't1'},
    ])
    expect(orgs.commandCalls(ListOrganizationalUnitsForParentCommand).map((call) => call.args[0].input)).toEqual([
      {ParentId: 'r-ab12', NextToken: undefined},
      {ParentId: 'r-ab12', NextToken: 'n'},
    ])
    expect(orgs.commandCalls(ListPoliciesForTargetCommand).map((call) => call.args[0].input)).toEqual([
      {TargetId: 'ou-2', Filter: 'SERVICE_CONTROL_POLICY', NextToken: undefined},
      {TargetId: 'ou-2', Filter: 'SERVICE_CONTROL_POLICY', NextToken: 'n'},
    ])
  })

  it('says no parent for an account or OU the organization does not have, and rethrows anything else', async () => {
    orgs.on(ListParentsCommand, {ChildId: '333333333333'}).resolves({Parents: [{Id: 'ou-2', Type: 'ORGANIZATIONAL_UNIT'}]})
    orgs.on(ListParentsCommand, {ChildId: '999999999999'}).rejects(failure('AccountNotFoundException'))
    orgs.on(ListParentsCommand, {ChildId: 'ou-gone'}).rejects(failure('ChildNotFoundException'))
    orgs.on(ListParentsCommand, {ChildId: '888888888888'}).rejects(failure('AccessDeniedException'))
    const api = await createOrganizationsApi(TARGET)
    expect(await api.parentOf('333333333333')).toEqual({id: 'ou-2', type: 'ORGANIZATIONAL_UNIT'})
    expect(await api.parentOf('999999999999')).toBeUndefined()
    expect(await api.parentOf('ou-gone')).toBeUndefined()
    await expect(api.parentOf('888888888888')).rejects.toThrow('AccessDeniedException: it failed')
  })

  it('reads only the ENABLED policy types of a root', async () => {
    orgs.on(ListRootsCommand).resolves({Roots: [{Id: 'r-ab12', PolicyTypes: [{Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED'}, {Type: 'TAG_POLICY', Status: 'PENDING_ENABLE'}]}]})
    expect(await (await createOrganizationsApi(TARGET)).listRoots()).toEqual([{id: 'r-ab12', enabledPolicyTypes: ['SERVICE_CONTROL_POLICY']}])
  })

  it('enables a policy type and waits until the root reports it ENABLED', async () => {
    orgs.on(EnablePolicyTypeCommand).resolves({Root: {Id: 'r-ab12', PolicyTypes: [{Type: 'TAG_POLICY', Status: 'PENDING_ENABLE'}]}})
    orgs
      .on(ListRootsCommand)
      .resolvesOnce({Roots: [{Id: 'r-ab12', PolicyTypes: [{Type: 'TAG_POLICY', Status: 'PENDING_ENABLE'}]}]})
      .resolvesOnce({Roots: [{Id: 'r-ab12', PolicyTypes: [{Type: 'TAG_POLICY', Status: 'PENDING_ENABLE'}]}]})
      .resolves({Roots: [{Id: 'r-ab12', PolicyTypes: [{Type: 'TAG_POLICY', Status: 'ENABLED'}]}]})
    const waits: number[] = []
    const api = await createOrganizationsApi(TARGET, {sleep: async (ms) => void waits.push(ms)})
    await api.enablePolicyType('r-ab12', 'TAG_POLICY')
    expect(orgs.commandCalls(EnablePolicyTypeCommand).map((call) => call.args[0].input)).toEqual([{RootId: 'r-ab12', PolicyType: 'TAG_POLICY'}])
    expect(orgs.commandCalls(ListRootsCommand)).toHaveLength(3)
    expect(waits).toEqual([1000, 1000])
  })

  it('takes a policy type that is already enabled as done', async () => {
    orgs.on(EnablePolicyTypeCommand).rejects(failure('PolicyTypeAlreadyEnabledException'))
    orgs.on(ListRootsCommand).resolves({Roots: [{Id: 'r-ab12', PolicyTypes: [{Type: 'TAG_POLICY', Status: 'ENABLED'}]}]})
    await (await createOrganizationsApi(TARGET)).enablePolicyType('r-ab12', 'TAG_POLICY')
    expect(orgs.commandCalls(ListRootsCommand)).toHaveLength(1)
  })

  it('attaches and detaches idempotently, and rethrows every other refusal', async () => {
    orgs.on(AttachPolicyCommand, {TargetId: 'ou-1'}).rejects(failure('DuplicatePolicyAttachmentException'))
    orgs.on(AttachPolicyCommand, {TargetId: 'ou-2'}).rejects(failure('ConstraintViolationException'))
    orgs.on(DetachPolicyCommand, {TargetId: 'ou-1'}).rejects(failure('PolicyNotAttachedException'))
    orgs.on(DetachPolicyCommand, {TargetId: 'ou-2'}).rejects(failure('ConstraintViolationException'))
    const api = await createOrganizationsApi(TARGET)
    await api.attachPolicy('p-abc', 'ou-1')
    await api.detachPolicy('p-abc', 'ou-1')
    await expect(api.attachPolicy('p-abc', 'ou-2')).rejects.toThrow('ConstraintViolationException')
    await expect(api.detachPolicy('p-abc', 'ou-2')).rejects.toThrow('ConstraintViolationException')
  })

  it('creates a policy with its tags, and updates only the fields given', async () => {
    orgs.on(CreatePolicyCommand).resolves({Policy: {PolicySummary: {Id: 'p-new'}}})
    orgs.on(UpdatePolicyCommand).resolves({})
    const api = await createOrganizationsApi(TARGET)
    expect(await api.createPolicy({name: 'fintech-x', description: 'd', type: 'TAG_POLICY', content: '{}', tags: {'fintech:managed': 'true'}})).toEqual({id: 'p-new'})
    await api.updatePolicy({id: 'p-new', content: '{"a":1}'})
    await api.updatePolicy({id: 'p-new', description: 'e'})
    expect(orgs.commandCalls(CreatePolicyCommand)[0]!.args[0].input).toEqual({Name: 'fintech-x', Description: 'd', Type: 'TAG_POLICY', Content: '{}', Tags: [{Key: 'fintech:managed', Value: 'true'}]})
    expect(orgs.commandCalls(UpdatePolicyCommand).map((call) => call.args[0].input)).toEqual([
      {PolicyId: 'p-new', Content: '{"a":1}'},
      {PolicyId: 'p-new', Description: 'e'},
    ])
  })
})
