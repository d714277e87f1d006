/**
 * The `ipfs` publisher (upstream pkg/publisher/ipfs): imports the result directory as a default
 * Kubo `ipfs add -r` would, pins it so garbage collection keeps it, and answers upstream's
 * PublishedResult `{ Type: 'ipfs', Params: { CID } }` (what `job get` reads).
 */
import { PublishError, type SpecConfig } from '@shoal/models'
import type { Publisher, PublishRequest } from '@shoal/interface'
import type { Helia } from 'helia'
import { importTree } from './kubo-import.ts'

/** What IpfsPublisher needs of a Helia node. */
export type IpfsPublisherComponents = Pick<Helia, 'blockstore' | 'pins'>

/** The `ipfs` publisher over a Helia node. */
export class IpfsPublisher implements Publisher {
  readonly type = 'ipfs'
  private readonly components: IpfsPublisherComponents

  constructor(components: IpfsPublisherComponents) {
    this.components = components
  }

  /** Upstream's ipfs publisher takes no params; unknown ones are ignored, as there. */
  validate(_spec: SpecConfig): string[] {
    return []
  }

  async publish(request: PublishRequest): Promise<SpecConfig> {
    let cid
    try {
      cid = await importTree(request.result, this.components.blockstore, {
        signal: request.signal,
        onProgress: request.onProgress,
        label: 'publishing to ipfs',
      })
      // Pinned recursively (as upstream's `Unixfs.Pin(true)`); the walk reads local blocks only.
      for await (const _ of this.components.pins.add(cid, { signal: request.signal, metadata: { job: request.job.ID, execution: request.executionId } })) {
        // drained: each yielded CID is one block pinned
      }
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason
      // Pinning an already pinned DAG (the same result twice) is not a failure.
      if (cid !== undefined && (err as Error).name === 'AlreadyPinnedError') return published(cid.toString())
      throw new PublishError(`publishing ${request.executionId} to ipfs failed: ${(err as Error).message}`, { cause: err, hint: 'check the node has room in its IPFS blockstore' })
    }
    return published(cid.toString())
  }
}

/** Upstream's PublishedResult for an ipfs result: `Type` ipfs, `Params.CID` the root. */
function published(cid: string): SpecConfig {
  return { Type: 'ipfs', Params: { CID: cid } }
}
