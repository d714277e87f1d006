/**
 * The scratch image under the WASI filesystem, through the descriptors a module's calls reach:
 * files moving from memory into the image, truncation, holes, block reuse and copy-on-write of a
 * read-write volume file. The image and the input are SyncFiles over memory here (the shape of
 * OPFS's sync access handle); on disk they are the node's files (volumes.node.spec.ts).
 */
import { describe, it, expect } from 'vitest'
import { wasi } from '@bjorn3/browser_wasi_shim'
import { BlockImage, IMAGE_BLOCK_BYTES } from '../src/block-image.ts'
import { DirectoryDescriptor, DiskLimitError, FileDescriptor, FileInode, WasiFilesystem } from '../src/wasi-filesystem.ts'
import type { SyncFile } from '../src/worker-volume-access.ts'

const BS = IMAGE_BLOCK_BYTES
const KiB = 1024

/** A SyncFile over a growable byte array. */
class MemorySyncFile implements SyncFile {
  bytes = new Uint8Array(0)
  writes = 0
  getSize(): number {
    return this.bytes.byteLength
  }
  read(buffer: Uint8Array, { at }: { at: number }): number {
    const part = this.bytes.subarray(at, at + buffer.byteLength)
    buffer.set(part)
    return part.byteLength
  }
  write(buffer: Uint8Array, { at }: { at: number }): number {
    this.writes++
    if (at + buffer.byteLength > this.bytes.byteLength) {
      const grown = new Uint8Array(at + buffer.byteLength)
      grown.set(this.bytes)
      this.bytes = grown
    }
    this.bytes.set(buffer, at)
    return buffer.byteLength
  }
  truncate(size: number): void {
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, size))
    this.bytes = next
  }
  flush(): void {}
  close(): void {}
}

/** Whether two byte arrays are equal (deep equality of large arrays is slow in expect). */
const same = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])
const pattern = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)

function setup(options: { memoryLimitBytes: number; budgetBytes?: number; input?: Uint8Array }) {
  const image = new MemorySyncFile()
  const blocks = new BlockImage(image)
  const filesystem = new WasiFilesystem({ now: () => 0n, image: blocks, memoryLimitBytes: options.memoryLimitBytes, budgetBytes: options.budgetBytes ?? 64 * 1024 * KiB })
  filesystem.mount({ path: '/outputs', node: { kind: 'dir', entries: new Map() }, readOnly: false })
  let source: MemorySyncFile | undefined
  if (options.input) {
    source = new MemorySyncFile()
    source.write(options.input, { at: 0 })
    source.writes = 0
    filesystem.mount(
      { path: '/rw', volume: { kind: 'host', path: '/unused', root: 'directory' }, readOnly: false },
      1,
      { entries: [{ path: 'data.bin', kind: 'file', size: options.input.byteLength }], files: new Map([['data.bin', source]]) },
    )
  }
  const root = new DirectoryDescriptor(filesystem.root, '/')
  const open = (path: string, oflags = 0): FileDescriptor => {
    const { ret, fd_obj } = root.path_open(0, path, oflags, BigInt(wasi.RIGHTS_FD_READ | wasi.RIGHTS_FD_WRITE | wasi.RIGHTS_FD_FILESTAT_SET_SIZE), 0n, 0)
    expect(ret).toBe(wasi.ERRNO_SUCCESS)
    return fd_obj as FileDescriptor
  }
  return { image, blocks, filesystem, root, open, source }
}

describe('the scratch image under the WASI filesystem', () => {
  it('keeps a small file in memory and moves one past the in-memory share into the image', () => {
    const { image, open } = setup({ memoryLimitBytes: 64 * KiB })
    const small = open('outputs/small.txt', wasi.OFLAGS_CREAT)
    small.fd_write(new TextEncoder().encode('small'))
    expect(image.bytes.byteLength).toBe(0)
    const big = open('outputs/big.bin', wasi.OFLAGS_CREAT)
    const data = pattern(BS + 5 * KiB, 1)
    big.fd_write(data.subarray(0, 40 * KiB))
    big.fd_write(data.subarray(40 * KiB))
    expect((big.inode as FileInode).blocks).toBeDefined()
    expect(same(big.fd_pread(data.byteLength + 10, 0n).data, data)).toBe(true)
    expect((big.inode as FileInode).output()).toMatchObject({ kind: 'blocks', size: data.byteLength, blocks: [0, 1] })
    expect((small.inode as FileInode).output()).toEqual({ kind: 'file', data: new TextEncoder().encode('small') })
  })

  it('reads holes as zeros, and bytes cut by a truncation stay zero when the file grows again', () => {
    const { open } = setup({ memoryLimitBytes: 0 })
    const file = open('outputs/sparse.bin', wasi.OFLAGS_CREAT)
    file.fd_pwrite(pattern(10, 7), BigInt(3 * BS + 100))
    expect(same(file.fd_pread(BS, 0n).data, new Uint8Array(BS))).toBe(true)
    expect(same(file.fd_pread(10, BigInt(3 * BS + 100)).data, pattern(10, 7))).toBe(true)
    file.fd_write(pattern(2 * BS, 3))
    expect(file.fd_filestat_set_size(BigInt(BS + 10))).toBe(wasi.ERRNO_SUCCESS)
    expect(file.fd_filestat_set_size(BigInt(2 * BS))).toBe(wasi.ERRNO_SUCCESS)
    const after = file.fd_pread(2 * BS, 0n).data
    expect(same(after.subarray(0, BS + 10), pattern(2 * BS, 3).subarray(0, BS + 10))).toBe(true)
    expect(same(after.subarray(BS + 10), new Uint8Array(BS - 10))).toBe(true)
  })

  it('reuses the blocks of truncated and deleted files before the image grows', () => {
    const { image, blocks, open, root } = setup({ memoryLimitBytes: 0 })
    const first = open('outputs/a.bin', wasi.OFLAGS_CREAT)
    first.fd_write(pattern(4 * BS, 1))
    const size = image.bytes.byteLength
    expect(blocks.blocksInUse).toBe(4)
    // O_TRUNC gives the blocks back; rewriting takes the same ones.
    const again = open('outputs/a.bin', wasi.OFLAGS_TRUNC)
    again.fd_write(pattern(4 * BS, 2))
    expect(image.bytes.byteLength).toBe(size)
    // Deleted while open: the blocks stay until the last descriptor closes.
    expect(root.path_unlink_file('outputs/a.bin')).toBe(wasi.ERRNO_SUCCESS)
    first.fd_close()
    expect(same(again.fd_pread(8, 0n).data, pattern(8, 2))).toBe(true)
    again.fd_close()
    expect(blocks.blocksInUse).toBe(0)
    const other = open('outputs/b.bin', wasi.OFLAGS_CREAT)
    other.fd_write(pattern(4 * BS, 3))
    expect(image.bytes.byteLength).toBe(size)
    expect(same(other.fd_pread(4 * BS, 0n).data, pattern(4 * BS, 3))).toBe(true)
  })

  it('ends a write past the budget with DiskLimitError, counting image files in whole blocks', () => {
    const { open } = setup({ memoryLimitBytes: 0, budgetBytes: 2 * BS })
    const file = open('outputs/big.bin', wasi.OFLAGS_CREAT)
    file.fd_write(pattern(BS + 1, 1))
    expect(() => file.fd_write(pattern(BS, 1))).toThrow(DiskLimitError)
  })

  it('copies a read-write volume file on write: the change is in the image, the rest still read from the input, the input unchanged', () => {
    const input = pattern(3 * BS + 17, 9)
    const { open, source, blocks } = setup({ memoryLimitBytes: 0, input })
    const file = open('rw/data.bin')
    file.fd_pwrite(new TextEncoder().encode('PATCH'), BigInt(BS + 3))
    expect(blocks.blocksInUse).toBe(1)
    const expected = input.slice()
    expected.set(new TextEncoder().encode('PATCH'), BS + 3)
    expect(same(file.fd_pread(input.byteLength, 0n).data, expected)).toBe(true)
    expect(source!.writes).toBe(0)
    expect(same(source!.bytes, input)).toBe(true)
    // The engine reads outputs from the image only: what was still read from the input is copied in.
    const output = (file.inode as FileInode).output()
    expect(output).toMatchObject({ kind: 'blocks', size: input.byteLength })
    expect(blocks.blocksInUse).toBe(4)
  })

  it('hands an unchanged read-write volume file back by its path in the input', () => {
    const { open } = setup({ memoryLimitBytes: 0, input: pattern(100, 1) })
    const file = open('rw/data.bin')
    expect(same(file.fd_read(100).data, pattern(100, 1))).toBe(true)
    expect((file.inode as FileInode).output()).toEqual({ kind: 'source', size: 100, mount: 1, path: 'data.bin' })
  })
})
