#!/usr/bin/env node
import module from 'node:module'
module.enableCompileCache?.(process.env.HOME + '/.cache/fintech/node-compile-cache')
const bundled = new URL('../dist/oclif-core.cjs', import.meta.url).href
module.registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === '@oclif/core') return {url: bundled, format: 'commonjs', shortCircuit: true}
    return nextResolve(specifier, context)
  },
})
process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
