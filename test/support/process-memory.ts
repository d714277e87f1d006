import { readFile, readdir, writeFile } from 'node:fs/promises'

/** Resident memory of a process tree, from /proc (Linux), in bytes. */
export interface TreeMemory {
  /** VmRSS now, summed over the process and its descendants. */
  rssBytes: number
  /**
   * VmHWM (peak resident set since start or since {@link resetPeakRss}), summed over the process
   * and its descendants: an upper bound of the tree's peak, as each peaked at its own time.
   */
  peakRssBytes: number
  /** The process IDs summed. */
  pids: number[]
}

/** The process and every descendant (Linux /proc/<pid>/task/<tid>/children). */
async function processTree(pid: number): Promise<number[]> {
  const tree = [pid]
  for (let i = 0; i < tree.length && tree.length < 1000; i++) {
    const tasks = await readdir(`/proc/${tree[i]}/task`).catch(() => [])
    for (const task of tasks) {
      const children = await readFile(`/proc/${tree[i]}/task/${task}/children`, 'utf8').catch(() => '')
      for (const child of children.split(' ')) if (child.trim() !== '') tree.push(Number(child))
    }
  }
  return tree
}

const statusKib = (status: string, field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024

/** VmRSS and VmHWM of `pid` and its descendants (processes that have exited are left out). */
export async function readTreeMemory(pid: number): Promise<TreeMemory> {
  const memory: TreeMemory = { rssBytes: 0, peakRssBytes: 0, pids: [] }
  for (const each of await processTree(pid)) {
    const status = await readFile(`/proc/${each}/status`, 'utf8').catch(() => undefined)
    if (status === undefined) continue
    memory.rssBytes += statusKib(status, 'VmRSS')
    memory.peakRssBytes += statusKib(status, 'VmHWM')
    memory.pids.push(each)
  }
  return memory
}

/**
 * Resets VmHWM of `pid` and its descendants to their current RSS (writing 5 to
 * /proc/<pid>/clear_refs), so a later {@link readTreeMemory} gives the peak of what ran in
 * between rather than since start-up. Resolves false where the kernel refuses it (then VmHWM
 * still counts from start-up: an upper bound).
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  let reset = true
  for (const each of await processTree(pid)) {
    await writeFile(`/proc/${each}/clear_refs`, '5').catch(() => (reset = false))
  }
  return reset
}
