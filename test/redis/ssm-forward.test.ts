import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {startSsmForwards} from '../../src/cli/ssm-forward.js'

const target = [{instanceId: 'i-0abc', endpoint: {host: '10.0.3.10', port: 6379}}]

describe('--via-ssm port forwarding', () => {
  it('says what is missing when neither the AWS CLI nor session-manager-plugin is on PATH, and starts nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fintech-path-'))
    await expect(startSsmForwards(target, {region: 'eu-west-1'}, {PATH: empty})).rejects.toThrow(
      '--via-ssm needs aws and session-manager-plugin on PATH to forward ports through SSM Session Manager; nothing was started',
    )
  })

  it('names only the plugin when the AWS CLI is there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fintech-path-'))
    writeFileSync(join(dir, 'aws'), '#!/bin/sh\nexit 0\n')
    chmodSync(join(dir, 'aws'), 0o755)
    await expect(startSsmForwards(target, {region: 'eu-west-1'}, {PATH: dir})).rejects.toThrow('--via-ssm needs session-manager-plugin on PATH')
  })
})
