import {Box, Text, type Instance} from 'ink'

import type {LedgerStatus} from '../../core/ledger/status.js'
import {ledgerHeadline, ledgerSections, type LedgerLine, type Tone} from '../ledger.js'
import {closeView, renderInColour} from './render.js'

const TONE_COLORS: Record<Tone, string> = {good: 'green', bad: 'red', muted: 'gray'}

function Line({line, bold = false}: {line: LedgerLine; bold?: boolean}) {
  return (
    <Text bold={bold} color={line.tone ? TONE_COLORS[line.tone] : undefined} wrap="truncate-end">
      {line.text}
    </Text>
  )
}

export interface LedgerViewProps {
  status: LedgerStatus
  /** Set under --watch: the view says how often it refreshes and how to stop. */
  intervalSeconds?: number
}

export function LedgerView({status, intervalSeconds}: LedgerViewProps) {
  return (
    <Box flexDirection="column">
      <Line line={{text: ledgerHeadline(status), tone: status.healthy ? 'good' : 'bad'}} bold />
      {/* No blank lines between sections: prod's six targets must still fit a 40-row terminal, or ink redraws the whole screen. */}
      {ledgerSections(status).map((section, index) => (
        <Box key={index} flexDirection="column">
          <Line line={section.title} bold />
          <Box flexDirection="column" paddingLeft={2}>
            {section.lines.map((line, index) => (
              <Line key={index} line={line} />
            ))}
          </Box>
        </Box>
      ))}
      {status.problems.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold color="red">
            Problems
          </Text>
          {/* Problems are the point of the view: they wrap rather than lose their ends. */}
          {status.problems.map((problem, index) => (
            <Text key={index} color="red">
              {'  ! '}
              {problem}
            </Text>
          ))}
        </Box>
      ) : null}
      {intervalSeconds === undefined ? null : (
        <Box marginTop={1}>
          <Text color="gray">refreshing every {intervalSeconds} s; Ctrl-C to stop</Text>
        </Box>
      )}
    </Box>
  )
}

/** The dashboard drawn in place on a terminal: each status replaces the last; closing leaves the last frame on screen. */
export function mountLedgerDashboard(stream: NodeJS.WriteStream, intervalSeconds?: number): {show(status: LedgerStatus): void; close(): Promise<void>} {
  let instance: Instance | undefined
  return {
    show(status) {
      const view = <LedgerView status={status} {...(intervalSeconds === undefined ? {} : {intervalSeconds})} />
      if (instance) instance.rerender(view)
      else instance = renderInColour(view, {stdout: stream, patchConsole: false, exitOnCtrlC: false})
    },
    async close() {
      if (!instance) return
      await closeView(instance)
    },
  }
}
