// Small helpers shared by the benchmarks: timing a child process and summarising samples.
import {spawnSync} from 'node:child_process'

/** Nearest-rank percentile: a value that was actually measured, no interpolation. */
export function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/**
 * Wall time of `node <args>` in ms per run. Warm-up runs fill the OS file cache first, so the
 * figures are the start-up a user sees on their second run of the day, not a disk read.
 * Throws when the command fails: a time for an error message would be meaningless.
 */
export function timeNode(args, {runs, warmup = 2, cwd}) {
  const once = () => timeOnce(args, cwd)
  for (let i = 0; i < warmup; i++) once()
  return Array.from({length: runs}, once)
}

/**
 * timeNode for several commands ({args, env}: env is added to this process's), taking turns
 * run by run, so a change in the machine's load falls on all of them alike and their ratios
 * stay fair. Returns the samples per command.
 */
export function timeNodeInterleaved(commands, {runs, warmup = 2, cwd}) {
  const samples = commands.map(() => [])
  for (let round = 0; round < warmup + runs; round++) {
    commands.forEach(({args, env}, index) => {
      const ms = timeOnce(args, cwd, env)
      if (round >= warmup) samples[index].push(ms)
    })
  }
  return samples
}

function timeOnce(args, cwd, env) {
  const start = process.hrtime.bigint()
  const child = spawnSync(process.execPath, args, {cwd, encoding: 'utf8', env: env && {...process.env, ...env}})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (child.error) throw child.error
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr.trim().slice(0, 500)}`)
  return ms
}

export const fmt = (ms) => `${ms.toFixed(0)} ms`.padStart(8)
