import {Box, Static, Text} from 'ink'
import {useEffect, useState} from 'react'

import type {StackOutcome} from '../../core/deploy/events.js'
import {renderChangeSet} from '../change-set.js'
import {type DeployState, type Notice, type StackProgress, inFlightResources, resourceCounts} from '../deploy-state.js'
import {describeOutcome, describeRootCause} from '../labels.js'

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const TICK_MS = 100
const SHOWN_IN_FLIGHT = 3

const OUTCOME_MARKS: Record<StackOutcome, {mark: string; color: string}> = {
  created: {mark: '✔', color: 'green'},
  updated: {mark: '✔', color: 'green'},
  unchanged: {mark: '✔', color: 'green'},
  'no-changes': {mark: '✔', color: 'green'},
  planned: {mark: '✔', color: 'green'},
  deleted: {mark: '✔', color: 'green'},
  skipped: {mark: '-', color: 'gray'},
  blocked: {mark: '!', color: 'yellow'},
  interrupted: {mark: '✖', color: 'red'},
  failed: {mark: '✖', color: 'red'},
}

/** Re-renders every tick so the spinner turns and elapsed times advance between events. */
function useTick(): number {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick((previous) => previous + 1), TICK_MS)
    return () => clearInterval(timer)
  }, [])
  return tick
}

function elapsedSeconds(stack: StackProgress, now: Date): number | undefined {
  if (!stack.startedAt) return undefined
  return Math.floor(((stack.finishedAt ?? now).getTime() - stack.startedAt.getTime()) / 1000)
}

function describeInFlight(logicalIds: string[]): string {
  const shown = logicalIds.slice(0, SHOWN_IN_FLIGHT).join(', ')
  const hidden = logicalIds.length - SHOWN_IN_FLIGHT
  return hidden > 0 ? `${shown} +${hidden} more` : shown
}

function NoticeLine({notice}: {notice: Notice}) {
  const prefix = `${notice.level === 'warn' ? 'warning: ' : ''}${notice.stackName ? `${notice.stackName}: ` : ''}`
  return (
    <Text color={notice.level === 'warn' ? 'yellow' : undefined}>
      {prefix}
      {notice.message}
    </Text>
  )
}

function StageLine({name, ok}: {name: string; ok?: boolean}) {
  const label = ok === undefined ? 'running' : ok ? 'done' : 'failed'
  return (
    <Text bold>
      stage {name}: <Text color={ok === undefined ? undefined : ok ? 'green' : 'red'}>{label}</Text>
    </Text>
  )
}

function StackLine({stack, nameWidth, now, tick}: {stack: StackProgress; nameWidth: number; now: Date; tick: number}) {
  const {done, total} = resourceCounts(stack)
  const elapsed = elapsedSeconds(stack, now)
  const running = stack.outcome === undefined && stack.startedAt !== undefined
  const inFlight = running ? inFlightResources(stack) : []
  const indicator = stack.outcome
    ? OUTCOME_MARKS[stack.outcome]
    : running
      ? {mark: SPINNER_FRAMES[tick % SPINNER_FRAMES.length], color: 'cyan'}
      : {mark: '·', color: 'gray'}
  const status = stack.outcome ? describeOutcome(stack.outcome, stack.finalStatus, stack.detail) : stack.activity
  const facts = [
    status,
    total > 0 ? `${done}/${total} resources` : undefined,
    elapsed === undefined ? undefined : `${elapsed}s`,
  ].filter((fact) => fact !== undefined)
  // Logical ids get their own line: beside the status they would be cut off on an 80-column terminal.
  return (
    <Box flexDirection="column" paddingLeft={2}>
      <Text wrap="truncate-end">
        <Text color={indicator.color}>{indicator.mark}</Text> {stack.stackName.padEnd(nameWidth)}  {facts.join('  ')}
      </Text>
      {inFlight.length > 0 ? (
        <Box paddingLeft={2}>
          <Text color="gray" wrap="truncate-end">
            in flight: {describeInFlight(inFlight)}
          </Text>
        </Box>
      ) : null}
      {stack.rootCause ? (
        <Box paddingLeft={2}>
          <Text color="red">{describeRootCause(stack.rootCause)}</Text>
        </Box>
      ) : null}
    </Box>
  )
}

export interface DeployViewProps {
  state: DeployState
  /** The clock elapsed times are measured on; the reducer's `at` must come from the same one. */
  now?: () => Date
}

export function DeployView({state, now = () => new Date()}: DeployViewProps) {
  const tick = useTick()
  const at = now()
  const nameWidth = Math.max(0, ...state.stacks.map((stack) => stack.stackName.length))
  const rows = state.stacks.map((stack, index) => {
    const newStage = stack.stage === state.stacks[index - 1]?.stage ? undefined : stack.stage
    return (
      <Box key={stack.stackName} flexDirection="column">
        {newStage === undefined ? null : (
          <StageLine name={newStage} ok={state.stages.find((stage) => stage.name === newStage)?.ok} />
        )}
        <StackLine stack={stack} nameWidth={nameWidth} now={at} tick={tick} />
      </Box>
    )
  })
  return (
    <>
      {/* A change set is reviewed as a whole, so it is printed once above the live area and never redrawn. */}
      <Static items={state.changeSets}>
        {(report, index) => (
          <Box key={index} marginBottom={1}>
            <Text>{renderChangeSet(report.stackName, report.changeSet)}</Text>
          </Box>
        )}
      </Static>
      <Box flexDirection="column">
        {state.notices.map((notice, index) => (
          <NoticeLine key={index} notice={notice} />
        ))}
        {rows}
      </Box>
    </>
  )
}
