import {existsSync} from 'node:fs'
import module from 'node:module'

const SDK_CLIENT = /^@aws-sdk\/client-[a-z0-9-]+$/

// module.registerHooks as Node 22.15+ has it (the @types/node the project builds with is older).
type ResolveContext = {parentURL?: string}
type Resolved = {url: string; shortCircuit?: boolean}
type RegisterHooks = (hooks: {resolve: (specifier: string, context: ResolveContext, nextResolve: (specifier: string, context: ResolveContext) => Resolved) => Resolved}) => void

/**
 * Points imports at the files `npm run build` bundles, where Node lets a process resolve
 * modules itself (module.registerHooks, Node 22.15+; elsewhere the packages load as installed):
 * - '@oclif/core' → dist/oclif-core.cjs (scripts/bundle-oclif-core.js), so there is one oclif;
 * - 'zod' → dist/zod.mjs (scripts/bundle-zod.js), one file instead of ~95;
 * - '@aws-sdk/client-*' → dist/sdk/client-*.cjs, the client with only the commands our adapters
 *   use (scripts/bundle-sdk-clients.js). Runbook steps may call any operation, so
 *   dist/aws/api-models.js keeps the whole package.
 * An installed package that imports zod or a client gets the package as installed.
 * @param dist the URL of the built dist/ folder, ending in '/'
 */
export function useBundledModules(dist: URL): void {
  const {registerHooks} = module as unknown as {registerHooks?: RegisterHooks}
  if (typeof registerHooks !== 'function') return
  const oclif = new URL('oclif-core.cjs', dist)
  const wholePackages = new URL('aws/api-models.js', dist).href
  const bundled = new Map<string, string | undefined>()
  const slimClient = (specifier: string) => {
    if (!bundled.has(specifier)) {
      const file = new URL(`sdk/${specifier.slice('@aws-sdk/'.length)}.cjs`, dist)
      bundled.set(specifier, existsSync(file) ? file.href : undefined)
    }
    return bundled.get(specifier)
  }
  const useOclifBundle = existsSync(oclif)
  const zod = new URL('zod.mjs', dist)
  const useZodBundle = existsSync(zod)
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === '@oclif/core' && useOclifBundle) return {url: oclif.href, shortCircuit: true}
      const fromInstalledPackage = context.parentURL?.includes('/node_modules/') ?? false
      if (specifier === 'zod' && useZodBundle && !fromInstalledPackage) return {url: zod.href, shortCircuit: true}
      if (SDK_CLIENT.test(specifier) && context.parentURL !== wholePackages && !fromInstalledPackage) {
        const url = slimClient(specifier)
        if (url) return {url, shortCircuit: true}
      }
      return nextResolve(specifier, context)
    },
  })
}
