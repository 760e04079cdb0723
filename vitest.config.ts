import {availableParallelism} from 'node:os'
import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // One moto_server per worker for the whole run, instead of one per integration test file.
    globalSetup: ['test/integration/moto-servers.ts'],
    disableConsoleIntercept: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Most of the suite's time waits on moto, Redis and the CLI's child processes, not on this
    // CPU: vitest's default (one worker fewer than the cores) ran it file by file on 2 cores.
    // Three workers there took it from 720 s to 318 s; six overloaded it into timeouts.
    maxWorkers: Math.max(3, availableParallelism() - 1),
  },
})
