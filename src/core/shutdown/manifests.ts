import type {StateStore} from './api.js'
import {parseManifest, serializeManifest, statePrefix, type Manifest} from './manifest.js'
import type {OpenManifest} from './plan.js'

/** Every manifest of an env, oldest first (keys are named after their night). */
export async function listManifestKeys(store: StateStore, env: string): Promise<string[]> {
  const prefix = `${statePrefix(env)}manifests/`
  return (await store.list(prefix)).filter((key) => key.endsWith('.json')).sort()
}

/** The newest manifest, and whether its period is still open (not yet started). */
export async function latestManifest(store: StateStore, env: string): Promise<(OpenManifest & {open: boolean}) | undefined> {
  const key = (await listManifestKeys(store, env)).at(-1)
  if (!key) return undefined
  const stored = await store.get(key)
  if (!stored) return undefined
  const manifest = parseManifest(stored.body, key)
  return {key, manifest, open: manifest.status !== 'started'}
}

export async function openManifest(store: StateStore, env: string): Promise<OpenManifest | undefined> {
  const latest = await latestManifest(store, env)
  return latest?.open ? {key: latest.key, manifest: latest.manifest} : undefined
}

export const saveManifest = (store: StateStore, key: string, manifest: Manifest): Promise<void> => store.put(key, serializeManifest(manifest))
