/** Fetching a DAG's root within a bounded wait, and the failure that names the CID and peers tried. */
import { StorageError } from '@shoal/models'
import type { AbortOptions, Clock } from '@shoal/interface'
import { exporter, type ReadableStorage, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'

/** The part of a libp2p node that says which peers a block was asked of. */
export interface PeerLister {
  getPeers(): Array<{ toString(): string }>
}

/** What {@link fetchRoot} reads blocks from, and asks of peers. */
export interface RootComponents {
  blockstore: ReadableStorage
  /** A Helia node's libp2p: bitswap asks every connected peer, so these are the peers tried. */
  libp2p?: PeerLister
}

/** Options of {@link fetchRoot}. */
export interface FetchRootOptions extends AbortOptions {
  timeoutMs: number
  clock: Clock
  /** Names the input in messages, e.g. "InputSources[0]". */
  where: string
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`
}

/**
 * The exported root entry of `cid`, fetched from the blockstore or peers within `timeoutMs`.
 * Rejects with a StorageError naming the CID and the peers asked when no one provided it.
 */
export async function fetchRoot(cid: CID, components: RootComponents, options: FetchRootOptions): Promise<UnixFSEntry> {
  const timeout = new AbortController()
  const timer = options.clock.setTimeout(() => timeout.abort(new Error('timed out')), options.timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal
  try {
    return await exporter(cid, components.blockstore, { signal })
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason
    if (timeout.signal.aborted) {
      const peers = components.libp2p?.getPeers().map(String) ?? []
      const tried = peers.length === 0 ? 'no peers are connected' : `asked ${peers.length} peer${peers.length === 1 ? '' : 's'}: ${peers.join(', ')}`
      throw new StorageError(`${options.where}: ${cid} was not found within ${formatMs(options.timeoutMs)} (${tried})`, {
        cause: err,
        hint: 'check that a peer that has the CID is running and connected (--ipfs-peers), or that the CID is right',
        details: { cid: cid.toString(), peers },
      })
    }
    throw new StorageError(`${options.where}: ${cid} could not be read: ${(err as Error).message}`, { cause: err, details: { cid: cid.toString() } })
  } finally {
    options.clock.clearTimeout(timer)
  }
}
