import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { BadRequestError, ConflictError, StorageError, type SpecConfig } from '@shoal/models'
import type { DirectoryNode } from '@shoal/interface'

/** Files Bacalhau appends across executions instead of refusing to merge. */
export const APPENDED_RESULT_FILES: readonly string[] = ['stdout', 'stderr', 'exitCode']

/** Unpacks a .tar.gz into a tree (@shoal/compute's extractTarGz). */
export type TarGzExtractor = (bytes: Uint8Array, options?: { signal?: AbortSignal }) => Promise<DirectoryNode>

/** The folder under the output directory that `--raw` writes each result into (Bacalhau's `raw`). */
export const RAW_FOLDER = 'raw'

/** Options of downloadResults. */
export interface DownloadResultsOptions {
  /** The directory to create; must not exist or be empty. */
  outputDir: string
  fetch: typeof globalThis.fetch
  extract: TarGzExtractor
  /** Bacalhau's --raw: each result in its own folder under `raw/`, nothing merged. */
  raw?: boolean
  signal?: AbortSignal
}

/** The largest number of conflicting paths a merge error lists. */
const MAX_LISTED_CONFLICTS = 10

/** The URL of a result a `local` publisher produced (`urlDownload` of a .tar.gz, or `local` {URL}). */
export function resultUrl(result: SpecConfig): string | undefined {
  if (result.Type !== 'urlDownload' && result.Type !== 'local') return undefined
  const url = result.Params?.URL ?? result.Params?.url
  return typeof url === 'string' && url !== '' ? url : undefined
}

/**
 * Merges execution results into one tree as Bacalhau's downloader does: `stdout`, `stderr` and
 * `exitCode` are appended in execution order; other files are merged, and a file that more than
 * one result holds is a ConflictError naming every such path and pointing at --raw (Bacalhau
 * refuses these merges too, rather than keep one execution's file).
 */
export function mergeResults(results: readonly DirectoryNode[]): DirectoryNode {
  const merged: DirectoryNode = { kind: 'dir', entries: new Map() }
  const append = results.length > 1
  const conflicts: string[] = []
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
      mergeInto(merged, name, node, name, conflicts)
    }
  }
  if (conflicts.length > 0) {
    const listed = [...new Set(conflicts)].sort()
    const shown = listed.slice(0, MAX_LISTED_CONFLICTS).join(', ') + (listed.length > MAX_LISTED_CONFLICTS ? ` and ${listed.length - MAX_LISTED_CONFLICTS} more` : '')
    throw new ConflictError(`cannot merge results: more than one execution wrote ${shown}`, {
      hint: 'Download each execution\'s result into its own folder with --raw (`shoal job get <id> --raw`).',
      details: { conflicts: listed },
    })
  }
  return merged
}

type TreeNode = DirectoryNode['entries'] extends Map<string, infer N> ? N : never

function mergeInto(parent: DirectoryNode, name: string, node: TreeNode, path: string, conflicts: string[]): void {
  const existing = parent.entries.get(name)
  if (!existing) {
    parent.entries.set(name, node.kind === 'dir' ? { kind: 'dir', entries: new Map(node.entries) } : node)
    return
  }
  if (existing.kind === 'dir' && node.kind === 'dir') {
    for (const [child, childNode] of node.entries) mergeInto(existing, child, childNode, `${path}/${child}`, conflicts)
    return
  }
  conflicts.push(path)
}

/** The folder name `--raw` gives a result: its archive's name (`<execution id>` for local results), made safe. */
export function rawFolderName(result: SpecConfig, index: number): string {
  const url = resultUrl(result)
  let name = ''
  if (url) {
    try {
      name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '')
    } catch {
      name = ''
    }
    name = name.replace(/\.(tar\.gz|tgz)$/i, '')
  }
  name = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '')
  return name === '' ? `result-${index + 1}` : name
}

/** Each result under `raw/<name>/`, names made unique. */
function rawTree(results: readonly SpecConfig[], trees: readonly DirectoryNode[]): DirectoryNode {
  const raw: DirectoryNode = { kind: 'dir', entries: new Map() }
  trees.forEach((tree, index) => {
    const base = rawFolderName(results[index], index)
    let name = base
    for (let n = 2; raw.entries.has(name); n++) name = `${base}-${n}`
    raw.entries.set(name, tree)
  })
  return { kind: 'dir', entries: new Map([[RAW_FOLDER, raw]]) }
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
 * Downloads the published results into `outputDir`: merged (see mergeResults), or with `raw`
 * each into `raw/<name>/`. Everything is written into a temporary sibling directory first and
 * renamed into place, so a failure never leaves a half-written result directory. Returns the
 * number of files written.
 */
export async function downloadResults(results: readonly SpecConfig[], options: DownloadResultsOptions): Promise<{ dir: string; files: number }> {
  const target = resolve(options.outputDir)
  if (!(await isEmptyOrMissing(target))) {
    throw new BadRequestError(`${target} already exists and is not empty`, { hint: 'Remove it, or pass another --output-dir.' })
  }
  const trees: DirectoryNode[] = []
  for (const result of results) trees.push(await fetchResult(result, options))
  const merged = options.raw ? rawTree(results, trees) : mergeResults(trees)
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
