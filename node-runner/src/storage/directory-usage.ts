/**
 * Bytes that directory trees take on disk, measured by walking them: how the node checks what a
 * process it cannot hook (a container) wrote into a directory of its space.
 */
import { lstat, opendir } from 'node:fs/promises'
import { join } from 'node:path'
import type { AbortOptions } from '@shoal/interface'

/** What every entry costs at least, so that a flood of empty files (inodes) counts too. */
export const ENTRY_FLOOR_BYTES = 512

/** Options of {@link directoryUsage}. */
export interface DirectoryUsageOptions extends AbortOptions {
  /** Stop walking once the total passes this (the answer is then only known to exceed it). */
  stopAbove?: number
}

/**
 * The bytes the trees under `roots` take: per entry the larger of its length and its allocated
 * blocks (a sparse file is published at its length), and at least {@link ENTRY_FLOOR_BYTES}.
 * Symbolic links are counted, never followed; entries that vanish mid-walk are skipped.
 */
export async function directoryUsage(roots: readonly string[], options: DirectoryUsageOptions = {}): Promise<number> {
  const limit = options.stopAbove ?? Number.POSITIVE_INFINITY
  let total = 0
  const pending = [...roots]
  // Bounded by the trees' entries, and cut short once past `stopAbove`.
  while (pending.length > 0 && total <= limit) {
    options.signal?.throwIfAborted()
    const dir = pending.pop()!
    let handle
    try {
      handle = await opendir(dir)
    } catch {
      continue
    }
    for await (const entry of handle) {
      const path = join(dir, entry.name)
      const stats = await lstat(path).catch(() => undefined)
      if (!stats) continue
      total += Math.max(ENTRY_FLOOR_BYTES, stats.size, stats.blocks * 512)
      if (stats.isDirectory()) pending.push(path)
      if (total > limit) break
    }
  }
  return total
}
