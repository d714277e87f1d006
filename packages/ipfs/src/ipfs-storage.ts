/**
 * The `ipfs` input source (upstream pkg/storage/ipfs): Params `{ CID }`, a bare CID of a UnixFS
 * file or directory (upstream has no path inside the DAG). The input is not copied: prepare
 * checks the root is reachable and returns an `unixfs` volume the runtime reads lazily.
 */
import { StorageError, type InputSource, type SpecConfig } from '@shoal/models'
import { systemClock, type Clock, type StorageContext, type StorageProvider, type Volume, type VolumeSpace } from '@shoal/interface'
import type { UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { parseUnixfsCid } from './cid-param.ts'
import { fetchRoot, type RootComponents } from './root-block.ts'
import { unixfsTree } from './unixfs-tree.ts'

/** What IpfsStorage needs of a Helia node: its blockstore (network-backed) and, for messages, its libp2p. */
export type IpfsStorageComponents = RootComponents

/** Options of {@link IpfsStorage}. */
export interface IpfsStorageInit {
  /**
   * Longest wait for a DAG's root block, in ms, before the input fails naming the CID and the
   * peers asked. Default 5 minutes, upstream's `InputSources.ReadTimeout`.
   */
  readTimeoutMs?: number
  clock?: Clock
}

const where = (input: InputSource, index: number | undefined) => (index === undefined ? `the input for ${input.Target}` : `InputSources[${index}]`)

/** The kind of root an exported entry is, or undefined when it is no UnixFS file or directory. */
function rootKind(entry: UnixFSEntry): 'file' | 'directory' | undefined {
  if (entry.type === 'directory') return 'directory'
  if (entry.type === 'file' || entry.type === 'raw' || entry.type === 'identity') return 'file'
  return undefined
}

/** Bytes below a root from its block alone: a file's exact size, a directory's cumulative DAG size (upstream's GetCidSize). */
function rootBlockSize(entry: UnixFSEntry): number {
  if (entry.type === 'directory') return entry.node.Links.reduce((sum, link) => sum + (link.Tsize ?? 0), 0)
  return Number(entry.size)
}

/** The `ipfs` input source over a Helia node (or any blockstore). */
export class IpfsStorage implements StorageProvider {
  readonly type = 'ipfs'
  private readonly components: IpfsStorageComponents
  private readonly readTimeoutMs: number
  private readonly clock: Clock

  constructor(components: IpfsStorageComponents, init: IpfsStorageInit = {}) {
    this.components = components
    this.readTimeoutMs = init.readTimeoutMs ?? 5 * 60_000
    this.clock = init.clock ?? systemClock
  }

  validate(source: SpecConfig): string[] {
    const parsed = parseUnixfsCid(source.Params?.CID)
    return 'problem' in parsed ? [`Params.CID: ${parsed.problem}`] : []
  }

  private parse(input: InputSource, index: number | undefined): CID {
    const parsed = parseUnixfsCid(input.Source.Params?.CID)
    if ('problem' in parsed) throw new StorageError(`${where(input, index)}.Source.Params.CID: ${parsed.problem}`, { hint: 'fix the CID in the job spec' })
    return parsed.cid
  }

  /** Size from the root block, fetched within the read timeout (as upstream, for bidding). */
  async getVolumeSize(input: InputSource, options: StorageContext = { executionId: '', jobId: '' }): Promise<number | undefined> {
    const cid = this.parse(input, options.inputIndex)
    const entry = await fetchRoot(cid, this.components, { timeoutMs: this.readTimeoutMs, clock: this.clock, where: where(input, options.inputIndex), signal: options.signal })
    return rootBlockSize(entry)
  }

  /**
   * Waits (bounded) for the root block, then returns the DAG as an `unixfs` volume with the
   * exact bytes of its files (a directory's listing blocks and files' root blocks are read).
   */
  async prepare(input: InputSource, options: StorageContext & { space: VolumeSpace }): Promise<Volume> {
    const at = where(input, options.inputIndex)
    const cid = this.parse(input, options.inputIndex)
    const entry = await fetchRoot(cid, this.components, { timeoutMs: this.readTimeoutMs, clock: this.clock, where: at, signal: options.signal })
    const root = rootKind(entry)
    if (root === undefined) throw new StorageError(`${at}.Source.Params.CID: ${cid} is a ${entry.type} node, not a UnixFS file or directory`, { hint: 'use the CID `ipfs add` printed for the file or directory' })
    let size = Number(entry.type === 'directory' ? 0 : entry.size)
    if (root === 'directory') {
      // The listing is bounded by the same read timeout as the root: a peer that gave the root
      // but withholds the rest must not hold the execution forever.
      const timeout = new AbortController()
      const timer = this.clock.setTimeout(() => timeout.abort(new Error('timed out')), this.readTimeoutMs)
      const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal
      try {
        for await (const file of unixfsTree(cid, this.components, { root }).entries({ signal })) size += file.size
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason
        const why = timeout.signal.aborted ? `not all of its listing arrived within ${this.readTimeoutMs} ms` : (err as Error).message
        throw new StorageError(`${at}: reading the directory ${cid} failed: ${why}`, { cause: err, details: { cid: cid.toString() } })
      } finally {
        this.clock.clearTimeout(timer)
      }
    }
    options.onProgress?.({ type: 'progress', detail: { label: `${at} (ipfs)`, done: 0, total: size } })
    return { kind: 'unixfs', cid: cid.toString(), root, size }
  }
}
