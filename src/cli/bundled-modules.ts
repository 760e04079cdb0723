import {existsSync} from 'node:fs'
import module from 'node:module'

const SDK_CLIENT = /^@aws-sdk\/client-[a-z0-9-]+$/

// module.registerHooks as Node 22.15+ has it (the @types/node the project builds with is older).
type ResolveContext = {parentURL?: string}
type Resolved = {url: string; shortCircuit?: boolean}
type RegisterHooks = (hooks: {resolve: (specifier: string, context: ResolveContext, nextResolve: (specifier: string, context: ResolveContext) => Resolved) => Resolved}) => void

/**
 * Which file `npm run build` bundled for an import, if any:
 * - '@oclif/core' → dist/oclif-core.cjs (scripts/bundle-oclif-core.js), so there is one oclif;
 * - 'zod' → dist/zod.mjs (scripts/bundle-zod.js), one file instead of ~95;
 * - '@aws-sdk/client-*' → dist/sdk/client-*.cjs, the client with only the commands our adapters
 *   use (scripts/bundle-sdk-clients.js). Runbook steps may call any operation, so
 *   dist/aws/api-models.js keeps the whole package.
 * zod and the clients are ours to swap only in our own files: a package installed beside us
 * (in our node_modules, or beside fintech when it is itself installed) gets them as installed.
 * @param dist the URL of the built dist/ folder, ending in '/'
 */
export function bundledModuleResolver(dist: URL): (specifier: string, parentURL: string | undefined) => string | undefined {
  const project = new URL('..', dist).href
  const ownDependencies = new URL('../node_modules/', dist).href
  const wholePackages = new URL('aws/api-models.js', dist).href
  const existing = new Map<string, string | undefined>()
  const ifBuilt = (path: string) => {
    if (!existing.has(path)) {
      const file = new URL(path, dist)
      existing.set(path, existsSync(file) ? file.href : undefined)
    }
    return existing.get(path)
  }
  return (specifier, parentURL) => {
    if (specifier === '@oclif/core') return ifBuilt('oclif-core.cjs')
    const fromOurFiles = parentURL !== undefined && parentURL.startsWith(project) && !parentURL.startsWith(ownDependencies)
    if (!fromOurFiles) return undefined
    if (specifier === 'zod') return ifBuilt('zod.mjs')
    if (SDK_CLIENT.test(specifier) && parentURL !== wholePackages) return ifBuilt(`sdk/${specifier.slice('@aws-sdk/'.length)}.cjs`)
    return undefined
  }
}

/** Resolves imports to the bundled files (see bundledModuleResolver) where Node lets a process resolve modules itself: module.registerHooks, Node 22.15+; elsewhere every package loads as installed. */
export function useBundledModules(dist: URL): void {
  const {registerHooks} = module as unknown as {registerHooks?: RegisterHooks}
  if (typeof registerHooks !== 'function') return
  const bundled = bundledModuleResolver(dist)
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = bundled(specifier, context.parentURL)
      return url ? {url, shortCircuit: true} : nextResolve(specifier, context)
    },
  })
}
