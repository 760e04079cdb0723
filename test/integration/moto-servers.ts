/**
 * vitest globalSetup: a folder for the run's moto_servers (one per worker, started by the
 * first test file of that worker that needs one; see acquireMoto in ./moto.ts), and at the end
 * of the run, every one of them stopped.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestProject} from 'vitest/node'

const STOP_TIMEOUT_MS = 5_000

/** Whether the process still runs: a zombie (ended, not yet reaped by its new parent) does not. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

export default function setup(project: TestProject) {
  const folder = mkdtempSync(join(tmpdir(), 'fintech-moto-servers-'))
  project.provide('motoServers', {folder, runnerPid: process.pid})
  return async () => {
    const pids = readdirSync(folder)
      .filter((name) => /^worker-[^-]+\.json$/.test(name))
      .map((name) => (JSON.parse(readFileSync(join(folder, name), 'utf8')) as {pid: number}).pid)
    for (const pid of pids) signalGroup(pid, 'SIGTERM')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    while (pids.some(running) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50))
    for (const pid of pids.filter(running)) signalGroup(pid, 'SIGKILL')
    rmSync(folder, {recursive: true, force: true})
  }
}
