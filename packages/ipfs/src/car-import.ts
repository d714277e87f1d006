/**
 * Reading a CAR (e.g. a gateway's `?format=car` answer, for `job get`) into a blockstore,
 * checking every block against its CID as it streams in, so a lying gateway cannot slip in bytes.
 */
import { CarBlockIterator } from '@ipld/car/iterator'
import { StorageError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'
import type { WritableStorage } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { streamIterable } from './stream-iterable.ts'

const SHA2_256 = 0x12
const IDENTITY = 0x00

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether `bytes` are the block `cid` names (sha2-256 or identity multihashes). */
export async function blockMatches(cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (cid.multihash.code === SHA2_256) return equalBytes((await sha256.digest(bytes)).digest, cid.multihash.digest)
  if (cid.multihash.code === IDENTITY) return equalBytes(bytes, cid.multihash.digest)
  return false
}

/** Options of {@link importCar}. */
export interface ImportCarOptions extends AbortOptions {
  /** Names the source in errors, e.g. the gateway URL. */
  source?: string
}

/**
 * Puts every block of a CAR stream into `blockstore` after checking it hashes to its CID, and
 * returns the CAR's roots. Rejects with a StorageError at the first block that does not match
 * (blocks before it are already stored: they are verified, so harmless).
 */
export async function importCar(car: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, blockstore: WritableStorage, options: ImportCarOptions = {}): Promise<CID[]> {
  const source = options.source ?? 'the CAR'
  const chunks = car instanceof ReadableStream ? streamIterable(car, options) : car
  let blocks: CarBlockIterator
  try {
    blocks = await CarBlockIterator.fromIterable(chunks)
  } catch (err) {
    throw new StorageError(`${source} is not a CAR: ${(err as Error).message}`, { cause: err })
  }
  for await (const { cid, bytes } of blocks) {
    options.signal?.throwIfAborted()
    if (!(await blockMatches(cid, bytes))) {
      throw new StorageError(`block ${cid} in ${source} does not match its CID: refusing the download`, {
        hint: 'the server sent altered data; fetch from another gateway or peer',
        details: { cid: cid.toString() },
      })
    }
    await blockstore.put(cid, bytes, options)
  }
  return blocks.getRoots()
}
