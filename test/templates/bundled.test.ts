import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {loadConfig} from '../../src/core/config/load.js'
import {offlinePlan} from '../../src/core/deploy/offline-plan.js'
import {planEnvironment} from '../../src/core/stages/plan.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('the bundled platform', () => {
  it('passes cfn-lint, every template of the platform and of the fixtures (.cfnlintrc.yaml)', () => {
    // execFileSync throws with cfn-lint's findings on any error or warning, failing the test with them.
    const output = execFileSync('cfn-lint', [], {cwd: root, encoding: 'utf8'})
    expect(output).toBe('')
  })

  for (const env of ['dev', 'test', 'prod']) {
    it(`plans offline for ${env}: every parameter resolved, no unknown key, stacks in stage order`, () => {
      const loaded = loadConfig(`${root}/fintech.config.yaml`)
      const plan = offlinePlan(planEnvironment(loaded, env, loaded.config.stages))
      expect(plan.stages.map((stage) => stage.name)).toEqual(['foundation', 'networking', 'data', 'compute'])
      for (const stack of plan.stages.flatMap((stage) => stage.stacks)) {
        expect(stack.stackName).toBe(`fintech-${env}-${stack.stage}`)
        expect(stack.tags.Environment).toBe(env)
        expect(stack.resources.length).toBeGreaterThan(0)
      }
    })
  }

  it('keeps the protected env protected', () => {
    const loaded = loadConfig(`${root}/fintech.config.yaml`)
    expect(Object.entries(loaded.config.environments).filter(([, env]) => env.protected).map(([name]) => name)).toEqual(['prod'])
  })
})
