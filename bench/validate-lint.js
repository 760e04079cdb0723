// `fintech validate` with cfn-lint against cfn-lint alone on the same templates, interleaved so
// both see the same machine load. validate runs its own checks beside one cfn-lint process, so
// the target is a small margin over cfn-lint itself.
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'

function timed(command, args, cwd) {
  const start = process.hrtime.bigint()
  const child = spawnSync(command, args, {cwd, encoding: 'utf8'})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (child.error) throw child.error
  // cfn-lint's exit code is a bit mask of its findings; the bundled templates have none.
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${child.status}: ${(child.stderr || child.stdout).trim().slice(0, 500)}`)
  return ms
}

/**
 * Wall time in ms of `node bin/run.js validate` (cfn-lint included) and of `cfn-lint` alone on
 * the templates validate lints, `runs` interleaved pairs after one warm-up pair.
 * @returns {Promise<{templates: string[], validate: number[], cfnLint: number[]}>}
 */
export async function measureValidateWithLint(repoRoot, runs) {
  const [{loadConfig}, {projectTemplates}] = await Promise.all([import(join(repoRoot, 'dist/core/config/load.js')), import(join(repoRoot, 'dist/core/validate/run-validate.js'))])
  const templates = projectTemplates(loadConfig(join(repoRoot, 'fintech.config.yaml')))
  const pair = () => [timed(process.execPath, ['bin/run.js', 'validate'], repoRoot), timed('cfn-lint', ['--format', 'json', '--', ...templates], repoRoot)]
  pair()
  const samples = Array.from({length: runs}, pair)
  return {templates, validate: samples.map(([ms]) => ms), cfnLint: samples.map(([, ms]) => ms)}
}
