import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DescribePolicyCommand,
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

describe('re-sends of calls whose answer was lost', () => {
  /** A refusal as the SDK hands it over after `attempts` sends of the same request. */
  const refused = (name: string, attempts: number) => Object.assign(new Error(`${name}: it failed`), {name, $metadata: {httpStatusCode: 400, attempts}})
  const SCP = {name: 'fintech-deny-regions', description: 'd', type: 'SERVICE_CONTROL_POLICY' as const, content: '{"Version":"2012-10-17","Statement":[]}', tags: {}}

  beforeEach(() => {
    orgs.on(ListPoliciesCommand, {Filter: 'SERVICE_CONTROL_POLICY'}).resolves({Policies: [{Id: 'p-other', Name: 'other'}, {Id: 'p-made', Name: 'fintech-deny-regions'}]})
  })

  it('goes on with the policy the first attempt created when the re-send is refused as a duplicate of the same document', async () => {
    orgs.on(CreatePolicyCommand).rejects(refused('DuplicatePolicyException', 2))
    // Organizations may keep the document with other whitespace.
    orgs.on(DescribePolicyCommand, {PolicyId: 'p-made'}).resolves({Policy: {Content: '{\n  "Version": "2012-10-17",\n  "Statement": []\n}'}})
    const api = await createOrganizationsApi(TARGET)

    expect(await api.createPolicy(SCP)).toEqual({id: 'p-made'})
  })

  it('rethrows the duplicate when the policy of that name says something else, or when the first attempt was refused', async () => {
    orgs.on(CreatePolicyCommand).rejectsOnce(refused('DuplicatePolicyException', 2)).rejectsOnce(refused('DuplicatePolicyException', 1))
    orgs.on(DescribePolicyCommand, {PolicyId: 'p-made'}).resolves({Policy: {Content: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'}})
    const api = await createOrganizationsApi(TARGET)

    await expect(api.createPolicy(SCP)).rejects.toMatchObject({name: 'DuplicatePolicyException'})
    await expect(api.createPolicy(SCP)).rejects.toMatchObject({name: 'DuplicatePolicyException'})
    expect(orgs.commandCalls(ListPoliciesCommand)).toHaveLength(1)
  })

  it('takes a delete re-send that finds the policy gone as deleted, but not a first attempt', async () => {
    orgs.on(DeletePolicyCommand).rejectsOnce(refused('PolicyNotFoundException', 2)).rejectsOnce(refused('PolicyNotFoundException', 1))
    const api = await createOrganizationsApi(TARGET)

    await api.deletePolicy('p-made')
    await expect(api.deletePolicy('p-made')).rejects.toMatchObject({name: 'PolicyNotFoundException'})
  })
})
