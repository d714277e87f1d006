/**
 * A small ustar (POSIX.1-1988, with pax records for long names) writer and reader over the
 * in-memory file tree. Enough for result bundles: regular files and directories only.
 */
import { ValidationError } from '@shoal/models'
import { concatBytes, emptyDirectory, type AbortOptions, type DirectoryNode, type FileTreeNode, type ReadableTree } from '@shoal/interface'

const BLOCK = 512
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Options of writeTar. */
export interface WriteTarOptions {
  /** Modification time of every entry, seconds since the epoch (0 keeps bundles reproducible). */
  mtimeSeconds?: number
}

interface TarEntry {
  path: string
  node: FileTreeNode
}

function collect(dir: DirectoryNode, prefix: string, out: TarEntry[]): void {
  // Sorted so the same tree always gives the same bytes.
  for (const name of [...dir.entries.keys()].sort()) {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw new ValidationError([{ path: prefix + name, message: 'file names in a result may not be empty, "." or "..", nor contain "/"' }])
    }
    const node = dir.entries.get(name)!
    const path = prefix + name
    out.push({ path, node })
    if (node.kind === 'dir') collect(node, path + '/', out)
  }
}

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value)
  block.set(bytes.subarray(0, length), offset)
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  // length-1 octal digits followed by NUL.
  writeString(block, offset, length - 1, value.toString(8).padStart(length - 1, '0'))
}

/** Splits a path into ustar's prefix (155) and name (100) fields, or undefined when it cannot. */
function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  if (encoder.encode(path).byteLength <= 100) return { prefix: '', name: path }
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i)
    const name = path.slice(i + 1)
    if (encoder.encode(prefix).byteLength <= 155 && encoder.encode(name).byteLength <= 100 && name !== '') return { prefix, name }
  }
  return undefined
}

function header(name: string, prefix: string, size: number, type: string, mode: number, mtime: number): Uint8Array {
  const block = new Uint8Array(BLOCK)
  writeString(block, 0, 100, name)
  writeOctal(block, 100, 8, mode)
  writeOctal(block, 108, 8, 0) // uid
  writeOctal(block, 116, 8, 0) // gid
  writeOctal(block, 124, 12, size)
  writeOctal(block, 136, 12, mtime)
  block.fill(0x20, 148, 156) // checksum is computed with its own field as spaces
  writeString(block, 156, 1, type)
  writeString(block, 257, 6, 'ustar')
  writeString(block, 263, 2, '00')
  writeString(block, 345, 155, prefix)
  let sum = 0
  for (const byte of block) sum += byte
  writeString(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return block
}

function paxRecord(key: string, value: string): Uint8Array {
  // "<len> <key>=<value>\n" where len counts itself.
  const body = ` ${key}=${value}\n`
  const bodyLength = encoder.encode(body).byteLength
  let length = bodyLength + 1
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength
  return encoder.encode(`${length}${body}`)
}

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK

/** Largest size a ustar header's 11 octal digits hold; bigger files carry a pax `size` record. */
const USTAR_MAX_SIZE = 8 ** 11 - 1

/** The header blocks of one entry: a pax record first when the name or size does not fit ustar. */
function entryHeader(path: string, kind: 'file' | 'directory', size: number, mtime: number): Uint8Array {
  const fullPath = kind === 'directory' ? path + '/' : path
  const records: Uint8Array[] = []
  let split = splitUstarPath(fullPath)
  if (split === undefined) {
    records.push(paxRecord('path', fullPath))
    split = { prefix: '', name: fullPath.slice(0, 99) }
  }
  if (size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(size)))
  const parts: Uint8Array[] = []
  if (records.length > 0) {
    const record = concatBytes(records)
    parts.push(header('PaxHeader', '', record.byteLength, 'x', 0o644, mtime), record, new Uint8Array(padding(record.byteLength)))
  }
  parts.push(header(split.name, split.prefix, Math.min(size, USTAR_MAX_SIZE), kind === 'directory' ? '5' : '0', kind === 'directory' ? 0o755 : 0o644, mtime))
  return concatBytes(parts)
}

/** The tree below `dir` as an uncompressed tar archive. */
export function writeTar(dir: DirectoryNode, options: WriteTarOptions = {}): Uint8Array {
  const mtime = options.mtimeSeconds ?? 0
  const entries: TarEntry[] = []
  collect(dir, '', entries)
  const parts: Uint8Array[] = []
  for (const { path, node } of entries) {
    const size = node.kind === 'file' ? node.data.byteLength : 0
    parts.push(entryHeader(path, node.kind === 'dir' ? 'directory' : 'file', size, mtime))
    if (node.kind === 'file') parts.push(node.data, new Uint8Array(padding(size)))
  }
  parts.push(new Uint8Array(BLOCK * 2))
  return concatBytes(parts)
}

/** Options of {@link tarStream}. */
export interface TarStreamOptions extends WriteTarOptions, AbortOptions {
  /** Called with the bytes of file contents written so far (progress). */
  onBytes?: (done: number) => void
}

/**
 * A directory tree as an uncompressed tar archive, produced as it is read: one file's stream at
 * a time passes through, so the archive of a tree of any size costs one chunk of memory. The
 * same tree gives the same bytes as {@link writeTar}. Rejects (errors the stream) when a file
 * is not the size its entry said, or a name is not a plain file name.
 */
export function tarStream(tree: ReadableTree, options: TarStreamOptions = {}): ReadableStream<Uint8Array> {
  const mtime = options.mtimeSeconds ?? 0
  async function* produce(): AsyncGenerator<Uint8Array> {
    if (tree.root !== 'directory') throw new ValidationError([{ path: '', message: 'a tar archive is made of a directory, not a single file' }])
    let done = 0
    for await (const entry of tree.entries({ signal: options.signal })) {
      for (const name of entry.path.split('/')) {
        if (name === '' || name === '.' || name === '..') {
          throw new ValidationError([{ path: entry.path, message: 'file names in a result may not be empty, "." or ".."' }])
        }
      }
      if (entry.kind === 'directory') {
        yield entryHeader(entry.path, 'directory', 0, mtime)
        continue
      }
      if (entry.size < 0) throw new ValidationError([{ path: entry.path, message: 'a file of unknown size cannot be archived' }])
      yield entryHeader(entry.path, 'file', entry.size, mtime)
      let written = 0
      const reader = entry.open!({ signal: options.signal }).getReader()
      try {
        // Bounded by the file's stated size: more is an error.
        for (;;) {
          const { done: ended, value } = await reader.read()
          if (ended) break
          written += value.byteLength
          if (written > entry.size) throw new Error(`${entry.path} grew past the ${entry.size} bytes it had when archiving began`)
          done += value.byteLength
          options.onBytes?.(done)
          yield value
        }
      } finally {
        reader.releaseLock()
      }
      if (written !== entry.size) throw new Error(`${entry.path} held ${written} bytes, not the ${entry.size} it had when archiving began`)
      yield new Uint8Array(padding(entry.size))
    }
    yield new Uint8Array(BLOCK * 2)
  }
  const iterator = produce()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Skip empty chunks (no padding needed): a pull that enqueues nothing would stall the reader.
      for (;;) {
        const { done, value } = await iterator.next()
        if (done) return controller.close()
        if (value.byteLength > 0) return controller.enqueue(value)
      }
    },
    async cancel(reason) {
      await iterator.throw(reason).catch(() => {})
    },
  })
}

export function readString(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length)
  const end = field.indexOf(0)
  return decoder.decode(end >= 0 ? field.subarray(0, end) : field)
}

/** An octal number field of a tar header; ValidationError when malformed. */
export function readOctal(block: Uint8Array, offset: number, length: number): number {
  const text = readString(block, offset, length).trim()
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new ValidationError([{ path: '', message: `tar header has a malformed number field ${JSON.stringify(text)}` }])
  return parseInt(text, 8)
}

/** The records of a pax extended header. */
export function parsePax(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {}
  let offset = 0
  while (offset < data.byteLength) {
    const space = data.indexOf(0x20, offset)
    if (space < 0) break
    const length = Number(decoder.decode(data.subarray(offset, space)))
    if (!Number.isInteger(length) || length <= 0) break
    const record = decoder.decode(data.subarray(space + 1, offset + length - 1))
    const eq = record.indexOf('=')
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1)
    offset += length
  }
  return records
}

/** The path components of an archive entry name; ValidationError when it would escape the root. */
export function safeEntryPath(name: string): string[] {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\') || name.includes('\0')) {
    throw new ValidationError([{ path: name, message: 'archive entry has an absolute or platform-specific path; refusing to extract it' }])
  }
  const parts = name.split('/').filter((part) => part !== '' && part !== '.')
  if (parts.includes('..')) {
    throw new ValidationError([{ path: name, message: 'archive entry climbs out of the extraction directory with ".."; refusing to extract it' }])
  }
  return parts
}

function place(root: DirectoryNode, parts: string[], node: FileTreeNode): void {
  let dir = root
  for (let i = 0; i < parts.length - 1; i++) {
    const existing = dir.entries.get(parts[i])
    if (existing?.kind === 'dir') dir = existing
    else {
      const next = emptyDirectory()
      dir.entries.set(parts[i], next)
      dir = next
    }
  }
  const last = parts[parts.length - 1]
  const existing = dir.entries.get(last)
  // A directory entry may follow files already placed inside it: keep its contents.
  if (node.kind === 'dir' && existing?.kind === 'dir') return
  dir.entries.set(last, node)
}

/** Options of readTar. */
export interface ReadTarOptions {
  /** Largest total of file contents accepted, in bytes. */
  maxBytes?: number
}

/**
 * The tree in a tar archive (ustar, pax and GNU long names). Symbolic and hard links, devices
 * and FIFOs are skipped: they cannot be represented in the tree. ValidationError on malformed
 * archives and on names that are absolute or contain "..".
 */
export function readTar(archive: Uint8Array, options: ReadTarOptions = {}): DirectoryNode {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
  const root = emptyDirectory()
  let offset = 0
  let total = 0
  let nextPath: string | undefined
  // Bounded: every iteration advances offset by at least one block.
  while (offset + BLOCK <= archive.byteLength) {
    const block = archive.subarray(offset, offset + BLOCK)
    if (block.every((byte) => byte === 0)) break
    const stored = readOctal(block, 148, 8)
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]
    if (sum !== stored) throw new ValidationError([{ path: '', message: `tar header at byte ${offset} has a bad checksum; the archive is corrupt or not a tar file` }])
    const size = readOctal(block, 124, 12)
    const type = readString(block, 156, 1) || '0'
    const dataStart = offset + BLOCK
    if (dataStart + size > archive.byteLength) {
      throw new ValidationError([{ path: '', message: `tar entry at byte ${offset} is cut short; the archive is truncated` }])
    }
    const data = archive.subarray(dataStart, dataStart + size)
    offset = dataStart + size + padding(size)

    if (type === 'x') {
      nextPath = parsePax(data).path ?? nextPath
      continue
    }
    if (type === 'L') {
      nextPath = readString(data, 0, data.byteLength)
      continue
    }
    if (type === 'g') continue
    const prefix = readString(block, 345, 155)
    const name = nextPath ?? (prefix ? `${prefix}/${readString(block, 0, 100)}` : readString(block, 0, 100))
    nextPath = undefined
    const parts = safeEntryPath(name)
    if (parts.length === 0) continue
    if (type === '5') place(root, parts, emptyDirectory())
    else if (type === '0' || type === '7') {
      total += size
      if (total > maxBytes) throw new ValidationError([{ path: name, message: `archive holds more than the ${maxBytes} bytes allowed` }])
      place(root, parts, { kind: 'file', data: data.slice() })
    }
  }
  return root
}
