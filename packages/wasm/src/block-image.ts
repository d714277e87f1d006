/**
 * A job's scratch image: one file (created by the engine in the node's VolumeSpace, opened by the
 * worker through its WorkerVolumeAccess) holding the contents of the job's large writable files
 * as fixed-size blocks. Block `n` lives at byte `n * IMAGE_BLOCK_BYTES` of the image; which
 * blocks make up which file is kept by the worker (a block list per file) and handed to the
 * engine in the job's output manifest, so the engine reads outputs straight from the image.
 *
 * The allocator is a high-water mark plus a free list: blocks of truncated or deleted files are
 * reused before the image grows. Blocks never written read as zeros, so files may be sparse.
 */
import type { SyncFile } from './worker-volume-access.ts'

/** Bytes of one block of the image: large enough that streaming writes cost few calls, small enough that a partial block wastes little. */
export const IMAGE_BLOCK_BYTES = 256 * 1024

/** A block-list entry for a part of a file never written: it reads as zeros (or as the file's source). */
export const HOLE = -1

/** The image file and its block allocator. */
export class BlockImage {
  readonly file: SyncFile
  /** Blocks handed out so far from the end of the image. */
  private highWater = 0
  private readonly freeBlocks: number[] = []
  constructor(file: SyncFile) {
    this.file = file
  }

  /** Blocks in use. */
  get blocksInUse(): number {
    return this.highWater - this.freeBlocks.length
  }

  /**
   * A block for new contents. `fresh` tells whether it has never been written (so it reads as
   * zeros); a reused block still holds a deleted file's bytes and must be written in full.
   */
  allocate(): { block: number; fresh: boolean } {
    const reused = this.freeBlocks.pop()
    if (reused !== undefined) return { block: reused, fresh: false }
    return { block: this.highWater++, fresh: true }
  }

  /** Gives a block back for reuse. */
  free(block: number): void {
    this.freeBlocks.push(block)
  }

  /** Reads `target.byteLength` bytes at `offset` within `block`. */
  read(block: number, offset: number, target: Uint8Array): void {
    readFully(this.file, target, block * IMAGE_BLOCK_BYTES + offset)
  }

  /** Writes `bytes` at `offset` within `block`. */
  write(block: number, offset: number, bytes: Uint8Array): void {
    let done = 0
    const at = block * IMAGE_BLOCK_BYTES + offset
    while (done < bytes.byteLength) {
      const written = this.file.write(bytes.subarray(done), { at: at + done })
      if (written <= 0) throw new Error(`the scratch image took no bytes of a write at ${at + done}`)
      done += written
    }
  }
}

/** Reads `target.byteLength` bytes at `at`, zero-filling past the file's end. */
export function readFully(file: SyncFile, target: Uint8Array, at: number): void {
  let done = 0
  while (done < target.byteLength) {
    const read = file.read(target.subarray(done), { at: at + done })
    if (read <= 0) break
    done += read
  }
  if (done < target.byteLength) target.fill(0, done)
}
