import type {StateStore} from './api.js'
import {manifestKey, parseManifest, serializeManifest, statePrefix, type Manifest} from './manifest.js'
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

/**
 * The key of a new period's manifest: `<night>.json`, or `<night>_02.json` and on when that
 * night already has one (a manual stop after the morning start), so no history is overwritten.
 * The suffix sorts after the plain key and before the next night's.
 */
export async function nextManifestKey(store: StateStore, env: string, night: string): Promise<string> {
  const first = manifestKey(env, night)
  const taken = new Set(await listManifestKeys(store, env))
  if (!taken.has(first)) return first
  for (let sequence = 2; ; sequence++) {
    const key = first.replace(/\.json$/, `_${String(sequence).padStart(2, '0')}.json`)
    if (!taken.has(key)) return key
  }
}
