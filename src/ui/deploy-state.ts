import type {ClassifiedChangeSet} from '../core/changeset/classify.js'
import type {DeployEvent, RootCause, StackEvent, StackOutcome, StackPhase} from '../core/deploy/events.js'
import {describePhase} from './labels.js'

export interface StackProgress {
  stackName: string
  stage?: string
  phase: StackPhase
  /** The latest phase, or the stack's own CloudFormation status once CloudFormation reports one. */
  activity: string
  /** On the clock passed to the reducer; unset while the stack is queued. */
  startedAt?: Date
  finishedAt?: Date
  /** Latest status per logical id, in the order the resources first appeared. */
  resourceStatuses: ReadonlyMap<string, string>
  outcome?: StackOutcome
  finalStatus?: string
  rootCause?: RootCause
  detail?: string
}

export interface StageProgress {
  name: string
  /** Unset while the stage runs. */
  ok?: boolean
}

export type Notice = Omit<Extract<DeployEvent, {kind: 'notice'}>, 'kind'>

export interface ChangeSetReport {
  stackName: string
  changeSet: ClassifiedChangeSet
}

export interface DeployState {
  stages: StageProgress[]
  stacks: StackProgress[]
  notices: Notice[]
  changeSets: ChangeSetReport[]
}

export const initialDeployState: DeployState = {stages: [], stacks: [], notices: [], changeSets: []}

function newStack(stackName: string): StackProgress {
  return {stackName, phase: 'queued', activity: describePhase('queued'), resourceStatuses: new Map()}
}

function updateStack(stacks: StackProgress[], stackName: string, update: (stack: StackProgress) => StackProgress): StackProgress[] {
  // Events can name a stack no stage announced (destroy, status), so unknown stacks are added, not dropped.
  if (!stacks.some((stack) => stack.stackName === stackName)) return [...stacks, update(newStack(stackName))]
  return stacks.map((stack) => (stack.stackName === stackName ? update(stack) : stack))
}

function isStackItself(event: StackEvent): boolean {
  return event.resourceType === 'AWS::CloudFormation::Stack' && event.logicalId === event.stackName
}

/**
 * The terminal view's state after one more event. Pure: `at` is when the event arrived, on
 * the same clock the view uses for elapsed time (resource events carry CloudFormation's
 * clock, which may differ from the local one).
 */
export function reduceDeployState(state: DeployState, event: DeployEvent, at: Date): DeployState {
  switch (event.kind) {
    case 'stage-start': {
      let {stacks} = state
      for (const stackName of event.stackNames) stacks = updateStack(stacks, stackName, (stack) => ({...stack, stage: event.stage}))
      return {...state, stages: [...state.stages.filter((stage) => stage.name !== event.stage), {name: event.stage}], stacks}
    }
    case 'stage-done':
      return {...state, stages: state.stages.map((stage) => (stage.name === event.stage ? {...stage, ok: event.ok} : stage))}
    case 'stack-phase':
      return {
        ...state,
        stacks: updateStack(state.stacks, event.stackName, (stack) => ({
          ...stack,
          phase: event.phase,
          activity: describePhase(event.phase, event.detail),
          startedAt: event.phase === 'queued' ? stack.startedAt : (stack.startedAt ?? at),
        })),
      }
    case 'change-set':
      return {...state, changeSets: [...state.changeSets, {stackName: event.stackName, changeSet: event.changeSet}]}
    case 'resource-event': {
      const resource = event.event
      return {
        ...state,
        stacks: updateStack(state.stacks, resource.stackName, (stack) => ({
          ...stack,
          ...(isStackItself(resource)
            ? {activity: resource.status}
            : {resourceStatuses: new Map(stack.resourceStatuses).set(resource.logicalId, resource.status)}),
          startedAt: stack.startedAt ?? at,
        })),
      }
    }
    case 'stack-done':
      return {
        ...state,
        stacks: updateStack(state.stacks, event.stackName, (stack) => ({
          ...stack,
          outcome: event.outcome,
          finalStatus: event.status,
          rootCause: event.rootCause,
          detail: event.detail,
          finishedAt: at,
        })),
      }
    case 'notice':
      return {...state, notices: [...state.notices, {level: event.level, message: event.message, stackName: event.stackName}]}
  }
}

/** Resources CloudFormation is working on now, in the order they first appeared. */
export function inFlightResources(stack: StackProgress): string[] {
  return [...stack.resourceStatuses].filter(([, status]) => status.endsWith('_IN_PROGRESS')).map(([logicalId]) => logicalId)
}

export function resourceCounts(stack: StackProgress): {done: number; total: number} {
  const total = stack.resourceStatuses.size
  return {done: total - inFlightResources(stack).length, total}
}

/** True while the engine asks someone to approve a change set, which it does on the same terminal. */
export function isAwaitingApproval(state: DeployState): boolean {
  return state.stacks.some((stack) => stack.phase === 'awaiting-approval' && stack.outcome === undefined)
}
