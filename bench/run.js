// `npm run bench`: prints start-up and AWS-call figures against the project's targets.
// It never fails on a slow figure (MISS is printed, not asserted); it exits 1 only when it
// cannot measure: a command fails, or the mocked deploy is not the no-op it must be.
import module from 'node:module'
import {mkdtempSync, rmSync} from 'node:fs'
import {availableParallelism, loadavg, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {countCostReportCalls} from './cost-report.js'
import {countNoopDeployCalls} from './noop-deploy.js'
import {measureRedisFailovers} from './redis-failover.js'
import {measureShutdown} from './shutdown.js'
import {measureTagsAudit} from './tags-audit.js'
import {measureValidateWithLint} from './validate-lint.js'
import {fmt, percentile, timeNode, timeNodeInterleaved} from './stats.js'

const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)))
const label = (ok) => (ok ? 'PASS' : 'MISS')

const OFFLINE_PLAN = ['deploy', '--stage', 'all', '--env', 'dev', '--dry-run', '--offline']

/**
 * Waits, at most SETTLE_MAX_MS, for the 1-minute load average to fall under one core's worth.
 * Right after `npm run build` the start-up figures are not the CLI's: measured on 2 cores, the
 * offline plan's median was 456 ms then (p90 471 ms, min 340 ms) and 340 ms forty seconds later.
 */
const SETTLE_MAX_MS = 90_000
async function settle() {
  const started = Date.now()
  while (loadavg()[0] >= 1 && Date.now() - started < SETTLE_MAX_MS) await new Promise((resolve) => setTimeout(resolve, 2000))
  return Math.round((Date.now() - started) / 1000)
}

/** Start-up beside bare Node (the same binary, process.execPath), in interleaved runs. */
async function startup() {
  const runs = 15
  const waited = await settle()
  const [load1, load5] = loadavg()
  console.log(
    `1. Start-up beside \`node -e 0\` of the same Node (${process.version}), ${runs} interleaved runs after 2 warm-ups; ` +
      `load average ${load1.toFixed(2)} (1 min), ${load5.toFixed(2)} (5 min) on ${availableParallelism()} cores, after waiting ${waited} s for it to fall under 1\n`,
  )
  const floorCache = mkdtempSync(join(tmpdir(), 'fintech-bench-oclif-floor-'))
  const cases = [
    {name: 'node -e 0', args: ['-e', '0']},
    {name: 'fintech --version', args: ['bin/run.js', '--version'], target: 1.3},
    {name: 'fintech --help', args: ['bin/run.js', '--help'], target: 2},
    {name: 'fintech deploy --help', args: ['bin/run.js', 'deploy', '--help'], target: 2},
    // The first time a help question is asked, or whenever its answer is not kept: oclif renders it.
    {name: 'deploy --help, not cached', args: ['bin/run.js', 'deploy', '--help'], env: {FINTECH_HELP_CACHE: 'off'}},
    {name: 'offline plan of all stages', args: ['bin/run.js', ...OFFLINE_PLAN], target: 5},
    // What any oclif command costs before it does anything: the floor under the help targets.
    {name: 'import of @oclif/core alone', args: ['--input-type=module', '-e', `import m from 'node:module'; m.enableCompileCache(${JSON.stringify(floorCache)}); await import('./dist/oclif-core.cjs')`]},
  ]
  const samples = timeNodeInterleaved(cases, {runs, cwd: repoRoot})
  rmSync(floorCache, {recursive: true, force: true})
  const medians = samples.map((runsOfOne) => percentile(runsOfOne, 50))
  console.log(`  ${'command'.padEnd(28)}${'median'.padStart(8)}${'p90'.padStart(8)}${'min'.padStart(8)}   ratio (medians)`)
  cases.forEach(({name, target}, index) => {
    const ratio = medians[index] / medians[0]
    const verdict = index === 0 ? '' : target === undefined ? `${ratio.toFixed(2)}×` : `${ratio.toFixed(2)}×   target ≤ ${target}×   ${label(ratio <= target)}`
    console.log(`  ${name.padEnd(28)}${fmt(medians[index])}${fmt(percentile(samples[index], 90))}${fmt(Math.min(...samples[index]))}   ${verdict}`)
  })
  const has = (name) => typeof module[name] === 'function'
  console.log(
    `\n  on ${process.version}: --version is answered before oclif loads, and help asked before from what oclif printed then ` +
      `(the fintech cache folder, help); oclif loads ` +
      `${has('registerHooks') ? 'from one bundled file, dist/oclif-core.cjs' : 'from node_modules (the bundle needs Node 22.15+)'}; ` +
      `compiled code ${has('enableCompileCache') ? 'is cached (the fintech cache folder, node-compile-cache)' : 'is not cached (Node 22+)'}\n`,
  )
  return samples[cases.findIndex(({name}) => name === 'offline plan of all stages')]
}

async function awsCalls() {
  console.log('2. AWS calls of a no-op `deploy --stage all --env dev` (aws-sdk-client-mock)\n')
  const {stacks, total, perStack, shared, byCommand} = await countNoopDeployCalls(repoRoot, 'dev')
  for (const [stackName, count] of perStack) console.log(`  ${stackName.padEnd(28)}${String(count).padStart(3)} calls   unchanged`)
  console.log(`  ${'(not about one stack)'.padEnd(28)}${String(shared).padStart(3)} calls`)
  console.log(`\n  by command: ${[...byCommand].map(([name, count]) => `${name} ${count}`).join(', ')}`)
  const average = total / stacks
  const worst = Math.max(...perStack.values())
  console.log(`  total ${total} calls for ${stacks} stacks = ${average.toFixed(2)} per stack (most for one stack: ${worst})`)
  console.log(`  target: a no-op deploy at most 6 calls per stack   ${label(average <= 6 && worst <= 6)}\n`)
}

/** The offline plan's runs were taken in section 1, beside bare Node. */
function offlinePlan(samples) {
  console.log('3. README\'s first command (the runs of section 1)\n')
  console.log(`  fintech ${OFFLINE_PLAN.join(' ')}   median${fmt(percentile(samples, 50))}   p90${fmt(percentile(samples, 90))}\n`)
}

function validate() {
  console.log('4. `fintech validate --no-cfn-lint` over every template and parameter file (5 runs after 2 warm-ups)\n')
  const samples = timeNode(['bin/run.js', 'validate', '--no-cfn-lint'], {runs: 5, cwd: repoRoot})
  const median = percentile(samples, 50)
  console.log(`  median${fmt(median)}   p90${fmt(percentile(samples, 90))}   target: under 2 s without cfn-lint   ${label(median < 2000)}\n`)
}

async function validateWithCfnLint() {
  const runs = 5
  console.log(`4b. \`fintech validate\` with cfn-lint against \`cfn-lint\` alone on the same templates (${runs} interleaved pairs after 1 warm-up)\n`)
  const {templates, validate, cfnLint} = await measureValidateWithLint(repoRoot, runs)
  const median = {validate: percentile(validate, 50), cfnLint: percentile(cfnLint, 50)}
  console.log(`  ${'command'.padEnd(42)}${'median'.padStart(8)}${'p90'.padStart(8)}${'min'.padStart(8)}`)
  for (const [name, samples] of [[`cfn-lint --format json (${templates.length} templates)`, cfnLint], ['fintech validate (cfn-lint included)', validate]]) {
    console.log(`  ${name.padEnd(42)}${fmt(percentile(samples, 50))}${fmt(percentile(samples, 90))}${fmt(Math.min(...samples))}`)
  }
  const ratio = median.validate / median.cfnLint
  console.log(`\n  validate / cfn-lint alone = ${ratio.toFixed(2)}×   target: at most 1.3×   ${label(ratio <= 1.3)}\n`)
}

async function costReport() {
  console.log('5. Cost Explorer requests of `fintech cost report` (aws-sdk-client-mock, $0.01 a request)\n')
  const {command, cold, warm, reported} = await countCostReportCalls(repoRoot)
  if (reported.cold !== cold || reported.warm !== warm) throw new Error(`${command} reported ${reported.cold}/${reported.warm} requests but sent ${cold}/${warm}`)
  console.log(`  fintech ${command}`)
  const requests = (count) => `${String(count).padStart(3)} request${count === 1 ? ' ' : 's'}`
  console.log(`  cold cache ${requests(cold)}   target: at most 2   ${label(cold <= 2)}`)
  console.log(`  warm cache ${requests(warm)}   target: 0           ${label(warm === 0)}\n`)
}

async function shutdownRuns() {
  const {size, runs, peakRssMb, baselineRssMb, maxRssMb} = await measureShutdown(repoRoot)
  const n = (value) => value.toLocaleString('en')
  console.log(
    `6. \`shutdown stop\` then \`shutdown start --env dev\` (aws-sdk-client-mock): ${n(size.instances)} instances (${size.redisNodes} Redis), ` +
      `${size.ecsClusters * size.servicesPerCluster} services with scaling targets in ${size.ecsClusters} clusters, ${size.auroraClusters} Aurora clusters\n`,
  )
  const [stop, start] = runs
  const kinds = [...new Set([...stop.byCommand.keys(), ...start.byCommand.keys()])]
  console.log(`  ${'request'.padEnd(26)}${'stop'.padStart(6)}${'start'.padStart(7)}`)
  for (const kind of kinds) console.log(`  ${kind.padEnd(26)}${String(stop.byCommand.get(kind) ?? 0).padStart(6)}${String(start.byCommand.get(kind) ?? 0).padStart(7)}`)
  console.log(`  ${'total'.padEnd(26)}${String(stop.total).padStart(6)}${String(start.total).padStart(7)}\n`)
  // Redis nodes and the other instances share batches (both go after the ledger service), so the bound is overall.
  const bound = Math.ceil(size.instances / 50)
  for (const [run, kind] of [[stop, 'StopInstances'], [start, 'StartInstances']]) {
    const calls = run.byCommand.get(kind) ?? 0
    console.log(
      `  ${kind} ${calls} (at most ${run.largestInstanceBatch} ids a call)   target: one per 50 instances, ceil(${n(size.instances)}/50) = ${bound}   ` +
        label(calls <= bound && run.largestInstanceBatch <= 50),
    )
  }
  const ms = (value) => `${value.toFixed(0)} ms`
  console.log(`  CLI CPU (user+system)   stop ${ms(stop.cpuMs)}   start ${ms(start.cpuMs)}   (SDK modules already loaded by the mocks)`)
  console.log(`  wall                    stop ${ms(stop.wallMs)}   start ${ms(start.wallMs)}   (the Redis probe waits 1 s before its first poll, src/aws/ssm.ts)`)
  console.log(`  peak RSS                ${peakRssMb.toFixed(0)} MB sampled during the runs (${baselineRssMb.toFixed(0)} MB before them; process max ${maxRssMb.toFixed(0)} MB)\n`)
}

async function redisFailovers() {
  console.log('7. `redis failover` back to back against real redis-server and redis-sentinel on loopback, a writer at ~100 writes/s\n')
  const {samples, acknowledged, missing} = await measureRedisFailovers(repoRoot)
  const total = samples.map((sample) => sample.totalMs)
  const pause = samples.map((sample) => sample.writePauseMs)
  console.log(`  ${'run'.padEnd(6)}${'whole'.padStart(10)}${'writes paused'.padStart(15)}${'resync wait'.padStart(13)}`)
  samples.forEach((sample, index) => console.log(`  ${String(index + 1).padEnd(6)}${fmt(sample.totalMs).padStart(10)}${fmt(sample.writePauseMs).padStart(15)}${fmt(sample.syncWaitMs).padStart(13)}`))
  console.log(`  median whole${fmt(percentile(total, 50))}   median writes paused${fmt(percentile(pause, 50))}   max paused${fmt(Math.max(...pause))}`)
  // Writes stay paused for the promotion and no longer: the release follows it within a second.
  const overPromotion = samples.map((sample) => sample.writePauseMs - sample.promotionMs)
  console.log(`  writes paused beyond the promotion: at most ${fmt(Math.max(...overPromotion))}   target: ≤ 1,000 ms   ${label(Math.max(...overPromotion) <= 1000)}`)
  console.log(`  acknowledged writes ${acknowledged}, missing on the final primary ${missing}   target: 0 lost   ${label(missing === 0)}\n`)
  if (missing > 0) throw new Error(`${missing} acknowledged writes lost across the failovers`)
}

/** Start flags a user can add through NODE_OPTIONS: a small young generation and a cap on the old one (the audit's live heap stays well under it). */
const START_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=96']

async function tagsAudit() {
  const n = (value) => value.toLocaleString('en')
  // The user's second run on: compiled code comes from the cache the first run wrote.
  const compileCache = mkdtempSync(join(tmpdir(), 'fintech-bench-compile-cache-'))
  await measureTagsAudit(repoRoot, 'stacks', [], compileCache)
  const stacks = await measureTagsAudit(repoRoot, 'stacks', [], compileCache)
  const unique = await measureTagsAudit(repoRoot, 'unique', [], compileCache)
  const capped = await measureTagsAudit(repoRoot, 'stacks', START_FLAGS, compileCache)
  rmSync(compileCache, {recursive: true, force: true})
  const {size, tps, pages, reportedPages, summary} = stacks
  console.log(
    `8. \`tags audit --env dev --json\` (aws-sdk-client-mock, a fresh node process each, compiled code from Node's cache as bin/run.js has it): ${n(size.tagged)} resources in the Tagging API, ` +
      `the listings' share of them again plus ${n(size.neverTagged)} never tagged\n`,
  )
  if (reportedPages !== pages) throw new Error(`tags audit reported ${reportedPages} Tagging API requests but sent ${pages}`)
  console.log(`  resources ${n(summary.resources)}, ${n(summary.nonCompliant)} not compliant (${summary.compliancePercent.toFixed(1)}% compliant); exit 1 as a CI gate`)
  console.log(`  Tagging API pages ${n(pages)} (GetResources, 100 a page)   target: at most 1,000   ${label(pages <= 1000)}`)
  const others = Object.entries(stacks.byCommand).filter(([name]) => name !== 'GetResources')
  console.log(`  listings and tag reads ${n(others.reduce((sum, [, count]) => sum + count, 0))} requests: ${others.map(([name, count]) => `${name} ${count}`).join(', ')}`)
  const defaultSeconds = Math.ceil(((pages - 5) / 5) * 10) / 10
  console.log(
    `  pacing: FINTECH_TAGGING_TPS=${tps} for the bench (waited ${stacks.pacedMs} ms); at the default 5 requests/s the same ${n(pages)} pages take at least ${defaultSeconds} s`,
  )
  const runs = [
    ['tags from 60 stacks', stacks],
    ['every tag set different', unique],
    [`60 stacks, node ${START_FLAGS.join(' ')}`, capped],
  ]
  for (const [what, run] of runs) {
    console.log(
      `  ${what.padEnd(52)} wall ${(run.wallMs / 1000).toFixed(1)} s   CPU ${(run.cpuMs / 1000).toFixed(1)} s   peak RSS ${run.maxRssMb.toFixed(0)} MB ` +
        `(${run.baselineRssMb.toFixed(0)} MB before the audit: node, oclif, the nine SDK clients as built in dist/sdk and the bench's mocks; the audit's own ${(run.maxRssMb - run.baselineRssMb).toFixed(0)} MB)`,
    )
  }
  const worst = Math.max(stacks.maxRssMb, unique.maxRssMb)
  const cpuRatio = capped.cpuMs / stacks.cpuMs
  console.log(
    `  target: peak under 200 MB   ${label(worst < 200)} as users run it (the process peak, SDK and mocks included; on Node 22.15+ each SDK client ` +
      `is the build's bundle of only the commands the adapters use, scripts/bundle-sdk-clients.js; the command turns off V8's ` +
      `allocation-site pretenuring and young-generation growth and holds the old generation's growth to 60% when it starts, src/cli/heap.ts); ` +
      `${label(capped.maxRssMb < 200)} with NODE_OPTIONS="${START_FLAGS.join(' ')}" at ${cpuRatio.toFixed(2)}× the CPU\n`,
  )
}

// `node bench/run.js startup` measures only the start-up (sections 1 and 3), e.g. on another Node;
// `node bench/run.js tags-audit` only section 8.
const only = process.argv[2]
try {
  if (only === 'tags-audit') {
    await tagsAudit()
    process.exit(0)
  }
  const offlinePlanSamples = await startup()
  if (only !== 'startup') await awsCalls()
  offlinePlan(offlinePlanSamples)
  if (only === 'startup') process.exit(0)
  validate()
  await validateWithCfnLint()
  await costReport()
  await shutdownRuns()
  await redisFailovers()
  await tagsAudit()
} catch (error) {
  console.error(`bench: cannot measure: ${error.message}`)
  process.exit(1)
}
