import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

/**
 * Users run the CLI on their own Node 22+; the project's own scripts (npm test, npm run
 * build, npm run bench, npx fintech) run on the Node it pins as a dev dependency, which npm
 * puts first on their PATH.
 */

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
const pinned: string = packageJson.devDependencies.node

describe('Node', () => {
  it('pins one exact Node 24 release for development, tests and benches', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/)
  })

  it('runs the tests on that pinned Node', () => {
    expect(process.version, 'run them through npm test or npx vitest, which put the pinned Node first on PATH').toBe(`v${pinned}`)
  })

  it('lets npm run the pinned package\'s install script, which fetches its binary (npm 12 blocks unlisted ones)', () => {
    expect(packageJson.allowScripts).toEqual({node: true})
  })

  it('asks users of the CLI for Node 22 or newer, the supported LTS lines', () => {
    expect(packageJson.engines).toEqual({node: '>=22'})
  })
})
