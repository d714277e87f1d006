import type { BlockBroker, BlockRetrievalOptions } from '@helia/interface'
import type { CID } from 'multiformats/cid'

/** Largest block asked of the gateway (UnixFS chunks are 256 KiB to 1 MiB; 2 MiB is bitswap's limit too). */
const MAX_BLOCK_BYTES = 2 * 1024 * 1024

/** Options of requesterGatewayBroker. */
export interface RequesterGatewayBrokerInit {
  /** The requester's API URL; its trustless gateway is at `/ipfs/` there. */
  url: string
  /**
   * Wait this long before asking the gateway, in ms (default 250): a block the requester holds
   * comes over bitswap first (Helia asks every broker at once and cancels the others when one
   * answers), so the same bytes do not also come over HTTP.
   */
  delayMs?: number
  fetch?: typeof fetch
}

/**
 * A Helia block broker that fetches single blocks (`?format=raw`) from the requester's trustless
 * gateway. Bitswap only reaches peers the tab is connected to, and a peer answers only with
 * blocks it holds: a CID that an IPFS peer of the requester provides (not the requester itself)
 * would never reach the tab. Asked over HTTP, the requester fetches it from its peers and hands
 * it on. Nothing is trusted: Helia checks every block against its CID before using it.
 */
export function requesterGatewayBroker(init: RequesterGatewayBrokerInit): BlockBroker {
  const fetchBlock = init.fetch ?? globalThis.fetch.bind(globalThis)
  const delayMs = init.delayMs ?? 250
  return {
    name: 'requester-gateway',
    async retrieve(cid: CID, options: BlockRetrievalOptions = {}): Promise<Uint8Array> {
      await abortableDelay(delayMs, options.signal)
      const url = new URL(`/ipfs/${cid.toString()}?format=raw`, init.url)
      const response = await fetchBlock(url, { headers: { Accept: 'application/vnd.ipld.raw' }, signal: options.signal })
      if (!response.ok) {
        await response.body?.cancel()
        throw new Error(`the requester's gateway answered ${response.status} for ${cid.toString()}`)
      }
      const declared = Number(response.headers.get('content-length') ?? '0')
      const limit = Math.min(options.maxSize ?? MAX_BLOCK_BYTES, MAX_BLOCK_BYTES)
      if (declared > limit) {
        await response.body?.cancel()
        throw new Error(`the requester's gateway sent a ${declared} byte block for ${cid.toString()}, more than ${limit}`)
      }
      const block = new Uint8Array(await response.arrayBuffer())
      if (block.byteLength > limit) throw new Error(`the requester's gateway sent a ${block.byteLength} byte block for ${cid.toString()}, more than ${limit}`)
      return block
    },
  }
}

function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted()
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
