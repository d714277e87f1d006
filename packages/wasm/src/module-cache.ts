/**
 * Compiled modules by content: SHA-256 of the module bytes (crypto.subtle) plus the memory cap
 * they were compiled under. A repeat job skips the memory rewrite and the compilation. The key
 * also names the module to the workers: each worker keeps the modules it has been sent, so a
 * repeat job on the same worker posts only the key (worker-module-cache.ts).
 */
import { capModule } from './wasm-binary.ts'
import { findWasiSignatureMismatch, WasiSignatureError } from './wasi-import-signatures.ts'

/** Where compiled modules are kept between jobs. */
export interface CompiledModuleCache {
  get(key: string): Promise<WebAssembly.Module> | undefined
  set(key: string, module: Promise<WebAssembly.Module>): void
}

/** An in-memory least-recently-used cache of `maxEntries` modules. */
export function createModuleCache(maxEntries = 64): CompiledModuleCache {
  const entries = new Map<string, Promise<WebAssembly.Module>>()
  return {
    get(key) {
      const hit = entries.get(key)
      if (hit) {
        entries.delete(key)
        entries.set(key, hit)
      }
      return hit
    },
    set(key, module) {
      entries.delete(key)
      entries.set(key, module)
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
      module.catch(() => entries.delete(key))
    },
  }
}

/** Counters of a module compiler. */
export interface CompileStats {
  hits: number
  misses: number
}

/** Hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

// Hashing is the one per-job cost of a cache hit; the same bytes object (a module reused from a
// storage cache) is hashed once. Input contents are treated as immutable throughout the engine.
const hashes = new WeakMap<Uint8Array, string>()

async function contentHash(bytes: Uint8Array): Promise<string> {
  let hash = hashes.get(bytes)
  if (hash === undefined) {
    hash = await sha256Hex(bytes)
    hashes.set(bytes, hash)
  }
  return hash
}

/** A compiled module and its content key (SHA-256 of the bytes, then the memory cap). */
export interface CompiledModule {
  key: string
  module: WebAssembly.Module
}

/** Compiles `bytes` held to a `capBytes` memory cap (capModule: memories, tables, no GC), through `cache`. */
export async function compileWithCap(
  bytes: Uint8Array,
  capBytes: number,
  cache: CompiledModuleCache | undefined,
  stats: CompileStats,
  allowGc = false,
): Promise<CompiledModule> {
  const key = `${await contentHash(bytes)}:${capBytes}${allowGc ? ':gc' : ''}`
  const cached = cache?.get(key)
  if (cached) {
    stats.hits++
    return { key, module: await cached }
  }
  stats.misses++
  // Checked once per module, with the compile (a cache hit rethrows the same refusal).
  const compiled = (async () => {
    const mismatch = findWasiSignatureMismatch(bytes)
    if (mismatch) throw new WasiSignatureError(mismatch)
    return WebAssembly.compile(capModule(bytes, { memoryCapBytes: capBytes, allowGc }) as Uint8Array<ArrayBuffer>)
  })()
  cache?.set(key, compiled)
  return { key, module: await compiled }
}
