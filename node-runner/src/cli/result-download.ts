import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { BadRequestError, ConflictError, StorageError, type SpecConfig } from '@shoal/models'
import type { DirectoryNode } from '@shoal/interface'

/** Files Bacalhau appends across executions instead of refusing to merge. */
export const APPENDED_RESULT_FILES: readonly string[] = ['stdout', 'stderr', 'exitCode']

/** Unpacks a .tar.gz into a tree (@shoal/compute's extractTarGz). */
export type TarGzExtractor = (bytes: Uint8Array, options?: { signal?: AbortSignal }) => Promise<DirectoryNode>

/** Options of downloadResults. */
export interface DownloadResultsOptions {
  /** The directory to create; must not exist or be empty. */
  outputDir: string
  fetch: typeof globalThis.fetch
  extract: TarGzExtractor
  signal?: AbortSignal
}

/** The URL of a result a `local` publisher produced (`urlDownload` of a .tar.gz, or `local` {URL}). */
export function resultUrl(result: SpecConfig): string | undefined {
  if (result.Type !== 'urlDownload' && result.Type !== 'local') return undefined
  const url = result.Params?.URL ?? result.Params?.url
  return typeof url === 'string' && url !== '' ? url : undefined
}

/**
 * Merges execution results into one tree as Bacalhau's downloader does: `stdout`, `stderr` and
 * `exitCode` are appended in execution order; other files are merged, and the same file in two
 * results is a ConflictError naming it.
 */
export function mergeResults(results: readonly DirectoryNode[]): DirectoryNode {
  const merged: DirectoryNode = { kind: 'dir', entries: new Map() }
  const append = results.length > 1
  for (const result of results) {
    for (const [name, node] of result.entries) {
      const existing = merged.entries.get(name)
      if (APPENDED_RESULT_FILES.includes(name) && node.kind === 'file') {
        if (existing?.kind === 'file' && append) {
          const data = new Uint8Array(existing.data.byteLength + node.data.byteLength)
          data.set(existing.data)
          data.set(node.data, existing.data.byteLength)
          merged.entries.set(name, { kind: 'file', data })
        } else merged.entries.set(name, node)
        continue
      }
      mergeInto(merged, name, node, name)
    }
  }
  return merged
}

function mergeInto(parent: DirectoryNode, name: string, node: DirectoryNode['entries'] extends Map<string, infer N> ? N : never, path: string): void {
  const existing = parent.entries.get(name)
  if (!existing) {
    parent.entries.set(name, node.kind === 'dir' ? { kind: 'dir', entries: new Map(node.entries) } : node)
    return
  }
  if (existing.kind === 'dir' && node.kind === 'dir') {
    for (const [child, childNode] of node.entries) mergeInto(existing, child, childNode, `${path}/${child}`)
    return
  }
  throw new ConflictError(`cannot merge results: ${path} exists in more than one execution's result`, {
    hint: 'Each execution must write different file names into its result paths.',
  })
}

async function writeTree(dir: string, tree: DirectoryNode): Promise<number> {
  await mkdir(dir, { recursive: true })
  let files = 0
  for (const [name, node] of tree.entries) {
    const path = join(dir, name)
    if (node.kind === 'dir') files += await writeTree(path, node)
    else {
      await writeFile(path, node.data)
      files++
    }
  }
  return files
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return false
    throw error
  }
}

/** Downloads one published result's tree. */
async function fetchResult(result: SpecConfig, options: DownloadResultsOptions): Promise<DirectoryNode> {
  const url = resultUrl(result)
  if (!url) {
    const where = result.Type === 'ipfs' ? ` (CID ${String(result.Params?.CID ?? '?')}; fetch it with an IPFS client)` : result.Type === 's3' ? ` (bucket ${String(result.Params?.Bucket ?? '?')}, key ${String(result.Params?.Key ?? '?')})` : ''
    throw new BadRequestError(`this CLI cannot download ${result.Type || 'untyped'} results yet${where}`, {
      hint: 'Publish with -p local to download results with `shoal job get`.',
    })
  }
  let response: Response
  try {
    response = await options.fetch(url, { signal: options.signal })
  } catch (error) {
    throw new StorageError(`cannot download the result at ${url}: ${(error as Error).message}`, {
      cause: error,
      hint: 'The compute node that ran the execution serves its results; check it is still running.',
    })
  }
  if (!response.ok) {
    throw new StorageError(`cannot download the result at ${url}: HTTP ${response.status}`, {
      hint: 'The compute node that ran the execution serves its results; check it is still running and kept them.',
    })
  }
  const bytes = new Uint8Array(await response.arrayBuffer())
  return options.extract(bytes, { signal: options.signal })
}

/**
 * Downloads and merges the published results into `outputDir`. Everything is written into a
 * temporary sibling directory first and renamed into place, so a failure never leaves a
 * half-written result directory. Returns the number of files written.
 */
export async function downloadResults(results: readonly SpecConfig[], options: DownloadResultsOptions): Promise<{ dir: string; files: number }> {
  const target = resolve(options.outputDir)
  if (!(await isEmptyOrMissing(target))) {
    throw new BadRequestError(`${target} already exists and is not empty`, { hint: 'Remove it, or pass another --output-dir.' })
  }
  const trees: DirectoryNode[] = []
  for (const result of results) trees.push(await fetchResult(result, options))
  const merged = mergeResults(trees)
  await mkdir(dirname(target), { recursive: true })
  const temporary = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Date.now()}`)
  try {
    const files = await writeTree(temporary, merged)
    await rmdir(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error
    })
    await rename(temporary, target)
    return { dir: target, files }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true })
    throw error
  }
}
