import { open, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CarBlockIterator } from '@ipld/car/iterator'
import { FsBlockstore } from 'blockstore-fs'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { BadRequestError, StorageError, type SpecConfig } from '@shoal/models'

/** Where and how `job get` asks the requester's gateway for an ipfs result. */
export interface IpfsGateway {
  /** The requester's API URL; its gateway is at `<url>/ipfs/<cid>`. */
  url: string
  /** Bearer token of the API, when it requires one. */
  token?: string
}

/** Options of fetchIpfsResult. */
export interface FetchIpfsResultOptions {
  gateway: IpfsGateway
  fetch: typeof globalThis.fetch
  /** Bytes the files may take (shared with the other results); a larger result is refused. */
  maxBytes: number
  /** Error for a result past maxBytes. */
  tooLarge: () => Error
  /** A directory for the blocks while they are unpacked (deleted after). */
  scratchDir: string
  signal?: AbortSignal
}

const CAR_TYPE = 'application/vnd.ipld.car'
/** A name a UnixFS directory may give an entry that is safe to create on disk. */
const safeName = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0')

/** The root CID of an ipfs PublishedResult, or a BadRequestError naming what is wrong. */
export function ipfsResultCid(result: SpecConfig): CID {
  const text = result.Params?.CID
  try {
    return CID.parse(String(text ?? ''))
  } catch {
    throw new BadRequestError(`the ipfs result's Params.CID ${JSON.stringify(text ?? null)} is not a CID`, { hint: 'the execution published a malformed result; run the job again' })
  }
}

/** Checks a block from the gateway against its CID (sha2-256 and identity, what UnixFS uses). */
async function verifyBlock(cid: CID, bytes: Uint8Array): Promise<void> {
  const code = cid.multihash.code
  const digest = code === sha256.code ? await sha256.digest(bytes) : code === identity.code ? identity.digest(bytes) : undefined
  if (digest === undefined) throw new StorageError(`block ${cid} uses hash function 0x${code.toString(16)}, which job get cannot verify`, { hint: 'only sha2-256 and identity CIDs are supported' })
  const expected = cid.multihash.digest
  if (digest.digest.length !== expected.length || digest.digest.some((byte, i) => byte !== expected[i])) {
    throw new StorageError(`block ${cid} from the gateway does not match its CID: the download is corrupt or was tampered with; nothing was written`)
  }
}

async function* bodyChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

/**
 * Downloads an ipfs result from the requester's trustless gateway as a CAR and unpacks it into
 * `dir`: every block is checked against its CID as it arrives and kept on disk in `scratchDir`
 * (never all in memory), then the UnixFS directory is written out file by file, streamed. The
 * root must be the CID asked for, every block must be in the CAR, and the files may take at most
 * `maxBytes`. Returns the bytes of files written.
 */
export async function fetchIpfsResult(result: SpecConfig, dir: string, options: FetchIpfsResultOptions): Promise<number> {
  const cid = ipfsResultCid(result)
  const url = `${options.gateway.url.replace(/\/+$/, '')}/ipfs/${cid}`
  let response: Response
  try {
    response = await options.fetch(url, { headers: { Accept: CAR_TYPE, ...(options.gateway.token ? { Authorization: `Bearer ${options.gateway.token}` } : {}) }, signal: options.signal })
  } catch (error) {
    throw new StorageError(`cannot download the ipfs result ${cid} from the requester's gateway ${url}: ${(error as Error).message}`, { cause: error, hint: 'check the requester is running (SHOAL_API_URL)' })
  }
  if (!response.ok || response.body === null) {
    const text = await response.text().catch(() => '')
    let message = text
    try {
      message = (JSON.parse(text) as { Message?: string }).Message ?? text
    } catch {}
    throw new StorageError(`cannot download the ipfs result ${cid} from the requester's gateway: HTTP ${response.status}${message ? `: ${message.trim()}` : ''}`, {
      hint: 'The requester keeps ipfs results it pinned when the execution completed; check `shoal job describe` for the execution.',
    })
  }
  const blocksDir = join(options.scratchDir, `blocks-${cid}`)
  const blocks = new FsBlockstore(blocksDir)
  await blocks.open()
  try {
    // The CAR's blocks together are about the files' size; far more is a hostile gateway.
    const maxCarBytes = options.maxBytes + Math.max(1024 ** 2, options.maxBytes / 8)
    let received = 0
    const car = await CarBlockIterator.fromIterable(bodyChunks(response.body))
    const roots = await car.getRoots()
    if (roots.length === 0 || !roots[0].equals(cid)) throw new StorageError(`the gateway answered a CAR for ${roots[0] ?? 'no root'} when asked for ${cid}`)
    for await (const block of car) {
      received += block.bytes.byteLength
      if (received > maxCarBytes) throw options.tooLarge()
      await verifyBlock(block.cid, block.bytes)
      await blocks.put(block.cid, block.bytes)
    }
    let written = 0
    const writeEntry = async (entryCid: CID, parts: string[]): Promise<void> => {
      const entry = await exporter(entryCid, blocks, { signal: options.signal })
      if (entry.type === 'directory') {
        await mkdir(join(dir, ...parts), { recursive: true })
        for await (const child of entry.entries({ signal: options.signal })) {
          if (!safeName(child.name)) throw new StorageError(`the result ${cid} holds an entry named ${JSON.stringify([...parts, child.name].join('/'))}, which cannot be written safely`)
          await writeEntry(child.cid, [...parts, child.name])
        }
        return
      }
      if (entry.type !== 'file' && entry.type !== 'raw' && entry.type !== 'identity') return
      // A result that is one file (not a directory) is written under its CID.
      const target = parts.length === 0 ? join(dir, cid.toString()) : join(dir, ...parts)
      const handle = await open(target, 'w', 0o644)
      try {
        for await (const chunk of entry.content({ signal: options.signal })) {
          written += chunk.byteLength
          if (written > options.maxBytes) throw options.tooLarge()
          await handle.write(chunk)
        }
      } finally {
        await handle.close()
      }
    }
    await mkdir(dir, { recursive: true })
    try {
      await writeEntry(cid, [])
    } catch (error) {
      if ((error as Error).name === 'NotFoundError') {
        throw new StorageError(`the CAR of ${cid} from the gateway lacks some of its blocks: ${(error as Error).message}`, { cause: error, hint: 'retry; if it persists the requester does not hold the whole result' })
      }
      throw error
    }
    return written
  } finally {
    await blocks.close().catch(() => {})
    await rm(blocksDir, { recursive: true, force: true })
  }
}
