/**
 * The contents of a file that is not in memory: blocks in the job's scratch image over an
 * optional source file (an input read through a SyncFile). A read-only input is a source with no
 * blocks; a read-write input is copied on write, block by block, into the image; a large file the
 * job writes is blocks alone. Parts never written read from the source, or as zeros past it.
 */
import { BlockImage, HOLE, IMAGE_BLOCK_BYTES, readFully } from './block-image.ts'
import type { SyncFile } from './worker-volume-access.ts'

const BS = IMAGE_BLOCK_BYTES

/** Bytes of image blocks a file of `size` bytes may take. */
export function blockBytes(size: number): number {
  return Math.ceil(size / BS) * BS
}

/** Where a file's bytes are when they are not in memory. */
export class BlockFile {
  readonly image: BlockImage | undefined
  /** Image block of each block of the file, {@link HOLE} where it was never written. */
  readonly blocks: number[] = []
  readonly source: SyncFile | undefined
  /** Bytes of the source still part of the file (a truncation cuts them). */
  sourceSize: number
  /** Whether anything was written or truncated since it was opened. */
  modified = false
  constructor(image: BlockImage | undefined, source?: SyncFile, sourceSize = 0) {
    this.image = image
    this.source = source
    this.sourceSize = source ? sourceSize : 0
  }

  /** Bytes [offset, offset + length) of the file (the caller keeps them within its size). */
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length)
    this.readInto(out, offset)
    return out
  }

  /** Fills `out` with the file's bytes from `offset` (the caller keeps them within its size). */
  readInto(out: Uint8Array, offset: number): void {
    const length = out.byteLength
    if (this.blocks.length === 0) {
      // An input never written to: one read of the source.
      const fromSource = this.source ? Math.max(0, Math.min(length, this.sourceSize - offset)) : 0
      if (fromSource > 0) readFully(this.source!, out.subarray(0, fromSource), offset)
      out.fill(0, fromSource)
      return
    }
    let done = 0
    while (done < length) {
      const at = offset + done
      const index = Math.floor(at / BS)
      const within = at - index * BS
      const part = out.subarray(done, done + Math.min(length - done, BS - within))
      this.readBlock(index, within, part)
      done += part.byteLength
    }
  }

  /** Writes `bytes` at `offset` (the caller has grown the file's size to cover them). */
  write(bytes: Uint8Array, offset: number): void {
    const image = this.requireImage()
    this.modified = true
    let done = 0
    while (done < bytes.byteLength) {
      const at = offset + done
      const index = Math.floor(at / BS)
      const within = at - index * BS
      const part = bytes.subarray(done, done + Math.min(bytes.byteLength - done, BS - within))
      while (this.blocks.length <= index) this.blocks.push(HOLE)
      const block = this.blocks[index]!
      if (block !== HOLE) {
        image.write(block, within, part)
      } else {
        const { block: allocated, fresh } = image.allocate()
        this.blocks[index] = allocated
        const sourceBytes = Math.max(0, Math.min(BS, this.sourceSize - index * BS))
        if (part.byteLength === BS) {
          image.write(allocated, 0, part)
        } else if (fresh && sourceBytes === 0) {
          // A never-used block reads as zeros already: only the new bytes need writing.
          image.write(allocated, within, part)
        } else {
          const whole = new Uint8Array(BS)
          if (sourceBytes > 0) readFully(this.source!, whole.subarray(0, sourceBytes), index * BS)
          whole.set(part, within)
          image.write(allocated, 0, whole)
        }
      }
      done += part.byteLength
    }
  }

  /** Cuts the file to `size` bytes: blocks past it go back to the image, the rest of the last one reads as zeros. */
  truncate(size: number): void {
    this.modified = true
    this.sourceSize = Math.min(this.sourceSize, size)
    const keep = Math.ceil(size / BS)
    while (this.blocks.length > keep) {
      const block = this.blocks.pop()!
      if (block !== HOLE) this.image!.free(block)
    }
    const tail = size - (keep - 1) * BS
    const last = this.blocks[keep - 1]
    if (keep > 0 && tail < BS && last !== undefined && last !== HOLE) this.image!.write(last, tail, new Uint8Array(BS - tail))
  }

  /** Frees every block (the file is gone). */
  free(): void {
    for (const block of this.blocks) if (block !== HOLE) this.image!.free(block)
    this.blocks.length = 0
    this.sourceSize = 0
  }

  /**
   * Copies what still reads from the source into the image, so that the file is blocks alone
   * (the engine reads outputs from the image only). `size` is the file's size.
   */
  materialize(size: number): void {
    if (this.sourceSize === 0) return
    const blocks = Math.ceil(Math.min(size, this.sourceSize) / BS)
    for (let index = 0; index < blocks; index++) {
      if ((this.blocks[index] ?? HOLE) !== HOLE) continue
      const length = Math.min(BS, size - index * BS)
      this.write(this.read(index * BS, length), index * BS)
    }
    this.sourceSize = 0
  }

  private readBlock(index: number, within: number, target: Uint8Array): void {
    const block = this.blocks[index] ?? HOLE
    if (block !== HOLE) {
      this.image!.read(block, within, target)
      return
    }
    const at = index * BS + within
    const fromSource = Math.max(0, Math.min(target.byteLength, this.sourceSize - at))
    if (fromSource > 0) readFully(this.source!, target.subarray(0, fromSource), at)
    target.fill(0, fromSource)
  }

  private requireImage(): BlockImage {
    if (!this.image) throw new Error('a file outside memory was written without a scratch image')
    return this.image
  }
}
