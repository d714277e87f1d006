/**
 * The engine's side of a job's output manifest: each ResultPath (and read-write input) as a
 * ReadableTree. Files the job kept in memory are read from the message; files in the scratch
 * image are streamed from it in block runs (`VolumeSpace.readFileInto`, else
 * `openBlob(image).slice()`), never read whole; files of an input the job never changed are
 * streamed from that input's volume.
 */
import { handOverChunk, memoryTree } from '@shoal/interface'
import type { AbortOptions, FileTreeNode, ReadableTree, TreeEntry, Volume, VolumeSpace } from '@shoal/interface'
import { HOLE, IMAGE_BLOCK_BYTES } from './block-image.ts'
import type { OutputNode } from './worker-protocol.ts'

/** Most bytes one read of the image takes (a run of consecutive blocks). */
const READ_RUN_BYTES = 4 * 1024 * 1024

/** What the trees read from besides the manifest itself. */
export interface OutputSources {
  space: VolumeSpace
  /** The scratch image, when the job had one. */
  image?: Volume
  /** The volume of each mount, by its index in the job's mounts (for unchanged input files). */
  mountVolume(index: number): Volume | undefined
}

/** Whether a manifest holds only in-memory files (then it is plain FileTreeNodes). */
function inMemory(node: OutputNode): node is FileTreeNode {
  if (node.kind === 'dir') {
    for (const child of node.entries.values()) if (!inMemory(child)) return false
    return true
  }
  return node.kind === 'file'
}

/** A manifest node as a ReadableTree. */
export function outputTree(node: OutputNode, sources: OutputSources): ReadableTree {
  if (inMemory(node)) return memoryTree(node)
  let imageBlob: Promise<Blob> | undefined
  const image = (): Promise<Blob> => (imageBlob ??= sources.space.openBlob(sources.image!))
  /** Fills `target` from byte `start` of the image; what lies past its end stays zero. */
  const readImage = async (target: Uint8Array, start: number, options?: AbortOptions): Promise<void> => {
    const space = sources.space
    if (space.readFileInto) {
      // Straight into the chunk: a Blob read leaves a garbage buffer of the chunk's size behind.
      await space.readFileInto(sources.image!, target, start, options)
      return
    }
    const bytes = new Uint8Array(await (await image()).slice(start, start + target.byteLength).arrayBuffer())
    // The image ends at the last byte written: a block grown by truncation reads short, as zeros.
    target.set(bytes.subarray(0, target.byteLength))
  }
  const sourceFiles = new Map<number, Promise<Map<string, TreeEntry>>>()
  const sourceEntry = async (mount: number, path: string, options?: AbortOptions): Promise<TreeEntry> => {
    let entries = sourceFiles.get(mount)
    if (!entries) {
      const volume = sources.mountVolume(mount)
      if (!volume) throw new Error(`the job's output names mount ${mount}, which it does not have`)
      entries = (async () => {
        const byPath = new Map<string, TreeEntry>()
        for await (const entry of sources.space.read(volume).entries(options)) if (entry.kind === 'file') byPath.set(entry.path, entry)
        return byPath
      })()
      sourceFiles.set(mount, entries)
    }
    const entry = (await entries).get(path)
    if (!entry?.open) throw new Error(`the input file ${path} is no longer in its volume`)
    return entry
  }
  const open = (file: Exclude<OutputNode, { kind: 'dir' }>, options?: AbortOptions): ReadableStream<Uint8Array> => {
    if (file.kind === 'file') return singleStream(file.data)
    if (file.kind === 'source') return deferredStream(async () => (await sourceEntry(file.mount, file.path, options)).open!(options))
    return blockStream(file.size, file.blocks, readImage, options)
  }
  const size = (node: OutputNode): number => (node.kind === 'dir' ? [...node.entries.values()].reduce((sum, child) => sum + size(child), 0) : node.kind === 'file' ? node.data.byteLength : node.size)
  return {
    root: node.kind === 'dir' ? 'directory' : 'file',
    size: size(node),
    async *entries() {
      if (node.kind !== 'dir') {
        yield { path: '', kind: 'file', size: size(node), open: (options) => open(node, options) }
        return
      }
      const walk = function* (dir: { entries: Map<string, OutputNode> }, prefix: string): Generator<TreeEntry> {
        for (const name of [...dir.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
          const child = dir.entries.get(name)!
          const path = prefix === '' ? name : `${prefix}/${name}`
          if (child.kind === 'dir') {
            yield { path, kind: 'directory', size: 0 }
            yield* walk(child, path)
          } else {
            yield { path, kind: 'file', size: size(child), open: (options) => open(child, options) }
          }
        }
      }
      yield* walk(node, '')
    },
  }
}

function singleStream(data: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (data.byteLength > 0) controller.enqueue(data.slice())
      controller.close()
    },
  })
}

/** A stream whose source is found asynchronously when first pulled. */
function deferredStream(source: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= (await source()).getReader()
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    async cancel(reason) {
      await reader?.cancel(reason)
    },
  })
}

/**
 * A file's bytes from the image: runs of consecutive blocks are read as one slice (up to
 * {@link READ_RUN_BYTES}), holes come out as zeros, the last block is cut at the file's size.
 */
function blockStream(size: number, blocks: number[], readImage: (target: Uint8Array, start: number, options?: AbortOptions) => Promise<void>, options?: AbortOptions): ReadableStream<Uint8Array> {
  const BS = IMAGE_BLOCK_BYTES
  let position = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      options?.signal?.throwIfAborted()
      if (position >= size) {
        controller.close()
        return
      }
      const index = Math.floor(position / BS)
      const first = blocks[index] ?? HOLE
      let count = 1
      while (count * BS < READ_RUN_BYTES && (index + count) * BS < size) {
        const next = blocks[index + count] ?? HOLE
        if (first === HOLE ? next !== HOLE : next !== first + count) break
        count++
      }
      const length = Math.min(count * BS, size - index * BS)
      // Every chunk is a buffer of its own, handed over: the reader that writes it out may free it.
      const chunk = new Uint8Array(length)
      if (first !== HOLE) await readImage(chunk, first * BS, options)
      controller.enqueue(handOverChunk(chunk))
      position = index * BS + length
    },
  })
}
