import { breadthFirstWalker } from '@helia/utils'
import { CID } from 'multiformats/cid'
import type { Logger } from '@shoal/interface'
import { ShoalError, type SpecConfig } from '@shoal/models'
import type { ResultPinContext, ResultPinner } from '@shoal/orchestrator'
import type { SharedHelia } from './node-helia.ts'

/** A published ipfs result could not be kept: bad CID, too large, or not fetched in time. */
export class ResultPinError extends ShoalError {
  override readonly code = 'ResultPinError'
  override readonly status = 502
}

/** Options of HeliaResultPinner. */
export interface HeliaResultPinnerOptions {
  helia: SharedHelia
  /** Longest time to fetch and pin one result, in ms (default 10 min; 0 = no limit). */
  timeoutMs?: number
  /** Largest result kept, in bytes of blocks (default 10 GiB). */
  maxBytes?: number
  logger?: Logger
}

const formatBytes = (n: number): string => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} B`)

/**
 * Keeps `ipfs` published results on the requester: fetches the whole DAG with bitswap from
 * connected peers (the publishing node among them) into the requester's blockstore and pins it,
 * so garbage collection keeps it and the gateway serves it after the publisher is gone.
 * Bounded: a result larger than `maxBytes` or not fetched within `timeoutMs` fails with the reason.
 */
export class HeliaResultPinner implements ResultPinner {
  private readonly helia: SharedHelia
  private readonly timeoutMs: number
  private readonly maxBytes: number
  private readonly logger?: Logger

  constructor(options: HeliaResultPinnerOptions) {
    this.helia = options.helia
    this.timeoutMs = options.timeoutMs ?? 600_000
    this.maxBytes = options.maxBytes ?? 10 * 2 ** 30
    this.logger = options.logger
  }

  handles(result: SpecConfig): boolean {
    return result.Type.toLowerCase() === 'ipfs'
  }

  async pin(result: SpecConfig, context: ResultPinContext): Promise<void> {
    const text = result.Params?.CID
    let cid: CID
    try {
      cid = CID.parse(String(text ?? ''))
    } catch {
      throw new ResultPinError(`PublishedResult.Params.CID ${JSON.stringify(text ?? null)} is not a CID`)
    }
    const started = performance.now()
    const timeout = this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : new AbortController().signal
    const signal = AbortSignal.any([timeout, context.signal])
    let bytes = 0
    let blocks = 0
    try {
      // Fetch first, pin after: a pin that fails half-way through would leave its blocks
      // marked pinned (never collected) without a pin to remove.
      const walker = breadthFirstWalker()({ blockstore: this.helia.blockstore, getCodec: this.helia.getCodec })
      for await (const node of walker.walk(cid, { signal })) {
        bytes += node.block.bytes.byteLength
        blocks++
        if (bytes > this.maxBytes) throw new ResultPinError(`${cid} is larger than the requester keeps (more than ${formatBytes(this.maxBytes)})`)
      }
      for await (const _ of this.helia.pins.add(cid, { signal })) void _
    } catch (err) {
      if ((err as Error).name === 'AlreadyPinnedError') return
      if (timeout.aborted) {
        const peers = this.helia.libp2p.getPeers().map((p) => p.toString())
        throw new ResultPinError(
          `not all of ${cid} arrived within ${Math.round(this.timeoutMs / 1000)} s (${blocks} block(s), ${formatBytes(bytes)} so far) from the connected peers (${peers.length === 0 ? 'none' : peers.join(', ')})`,
          { cause: err },
        )
      }
      if (err instanceof ResultPinError || context.signal.aborted) throw err
      throw new ResultPinError(`cannot fetch ${cid}: ${(err as Error).message}`, { cause: err })
    }
    this.logger?.info('kept published ipfs result', { cid: cid.toString(), execution: context.executionId, blocks, bytes, ms: Math.round(performance.now() - started) })
  }
}
