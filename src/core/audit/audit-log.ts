import {homedir} from 'node:os'
import {join} from 'node:path'
import {appendPrivateFile} from '../private-files.js'

export interface AuditEntry {
  env: string
  action: string
  /** in-progress: the call was made and the user stopped waiting for its end (Ctrl-C). */
  result: 'ok' | 'failed' | 'no-changes' | 'in-progress'
  stack?: string
  /** The resource a non-stack action changed (an instance id, a service ARN). */
  resource?: string
  /** The resource's region, where the env has more than one. */
  region?: string
  detail?: string
}

/** Who changed what: one line per mutation, written the moment it happens. */
export interface AuditSink {
  record(entry: AuditEntry): void
}

/** `FINTECH_AUDIT_LOG`, else the config's audit.path, else the user's state directory. */
export function auditLogPath(configured?: string): string {
  if (process.env.FINTECH_AUDIT_LOG) return process.env.FINTECH_AUDIT_LOG
  if (configured) return configured
  const stateHome = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(stateHome, 'fintech', 'audit.jsonl')
}

/** Appends one JSON line synchronously, so that a crash or Ctrl-C right after a call still leaves its line; the file is private. */
export function appendJsonLine(path: string, record: Record<string, unknown>): void {
  appendPrivateFile(path, `${JSON.stringify(record)}\n`)
}

export function jsonlAuditSink(path: string, caller: () => string, now: () => Date = () => new Date()): AuditSink {
  return {
    record(entry) {
      appendJsonLine(path, {time: now().toISOString(), caller: caller(), ...entry})
    },
  }
}
