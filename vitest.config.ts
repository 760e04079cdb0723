import {readdirSync, readFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {delimiter, join} from 'node:path'
import {defineConfig} from 'vitest/config'
import LongestFirstSequencer from './test/helpers/file-order.js'
import {shimmedPythonFolder} from './test/helpers/python-tools.js'

// Set here, before the workers and moto_servers start, so that they and the CLI processes the
// tests spawn inherit it (see shimmedPythonFolder for why).
const pythonFolder = shimmedPythonFolder()
if (pythonFolder) process.env.PATH = `${pythonFolder}${delimiter}${process.env.PATH}`

/** Tests of pure code (src/core, src/ui): no child processes, servers or SDK mocks to leak into the next file. */
const PURE = ['test/core/**/*.test.ts', 'test/ui/**/*.test.{ts,tsx}', 'test/architecture.test.ts']

/**
 * In-process tests of commands and adapters against SDK mocks, templates and contracts: they
 * share one module graph per worker too (importing the commands and SDK clients again for each
 * file was most of their time: these folders took 81 s, now 57 s). Not a file that mocks a module,
 * or sends real requests (a loopback endpoint, the fault proxy, AWS_ENDPOINT_URL): the SDK
 * mocks another file left on the clients' prototypes would answer them.
 */
const SHARED_FOLDERS = ['test/commands', 'test/aws', 'test/templates', 'test/contracts']
const NEEDS_OWN_MODULES = /\bvi\.(do)?[mM]ock\(|useLoopbackAws|startFaultProxy|AWS_ENDPOINT_URL/
const SHARED = SHARED_FOLDERS.flatMap((folder) =>
  readdirSync(folder)
    .filter((file) => file.endsWith('.test.ts') && !NEEDS_OWN_MODULES.test(readFileSync(join(folder, file), 'utf8')))
    .map((file) => `${folder}/${file}`),
)

export default defineConfig({
  test: {
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: {sequencer: LongestFirstSequencer},
    // Most of the suite's time waits on moto, Redis and the CLI's child processes, not on this
    // CPU: vitest's default (one worker fewer than the cores) ran it file by file on 2 cores.
    // Three workers there took it from 720 s to 318 s; six overloaded it into timeouts.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        // A fresh module graph per file cost these files more time importing than testing
        // (32 s of imports for 96 s of tests); sharing it takes 63 s of wall time to 45 s.
        test: {name: 'pure', include: PURE, isolate: false},
      },
      {
        extends: true,
        test: {name: 'shared', include: SHARED, isolate: false, globalSetup: ['test/integration/moto-servers.ts']},
      },
      {
        extends: true,
        test: {
          // Files are handed out by project name first, then longest first (test/helpers/file-order.ts):
          // this project holds the longest files (integration, Redis), so its name sorts first and
          // they start at once (as 'the rest' they waited ~50 s behind pure and shared, and the run
          // took ~25 s more).
          name: 'isolated',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [...PURE, ...SHARED],
          // One moto_server per worker for the whole run, instead of one per integration test file.
          globalSetup: ['test/integration/moto-servers.ts'],
        },
      },
    ],
  },
})
