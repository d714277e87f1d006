import { AbortError, UnreachableError } from '@shoal/models'
import type { AbortOptions } from '@shoal/interface'
import type { Connection, Dialer } from '@shoal/protocol'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { COMPUTE_PROTOCOL_ID } from './protocol-id.ts'
import { Libp2pConnection } from './libp2p-connection.ts'

/** Options of createLibp2pDialer. */
export interface Libp2pDialerInit {
  /** A started libp2p node (e.g. from createComputeLibp2p); the dialer does not stop it. */
  libp2p: Pick<Libp2p, 'dial'>
  /** Defaults to COMPUTE_PROTOCOL_ID. */
  protocol?: string
  /** Largest frame accepted or sent; defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number
  /**
   * Give up a dial (connection, encryption, protocol negotiation) after this long, default
   * 10 000 ms. A dead UDP (webrtc-direct) address gives no refusal, so this bounds it.
   */
  dialTimeoutMs?: number
}

/**
 * The compute node side of the compute protocol over libp2p: dials a requester multiaddr
 * (with `/p2p/<peer id>`) and opens one long-lived compute protocol stream. Fails with
 * UnreachableError ("cannot reach requester at <addr>: <cause>"), or AbortError when the
 * caller's signal fired. Re-dialing with back-off is the caller's job.
 */
export function createLibp2pDialer(init: Libp2pDialerInit): Dialer {
  const { libp2p } = init
  const protocol = init.protocol ?? COMPUTE_PROTOCOL_ID
  const dialTimeoutMs = init.dialTimeoutMs ?? 10_000
  const hint = 'check that the requester is running and that the address (including /p2p/<peer id>) is current'
  return {
    async dial(address: string, options?: AbortOptions): Promise<Connection> {
      options?.signal?.throwIfAborted()
      let target: Multiaddr
      try {
        target = multiaddr(address)
      } catch (err) {
        throw new UnreachableError(`cannot reach requester at ${address}: not a multiaddr (${(err as Error).message})`, {
          cause: err,
          hint: 'requester addresses look like /ip4/127.0.0.1/tcp/4222/ws/p2p/12D3KooW...',
        })
      }
      const timeout = AbortSignal.timeout(dialTimeoutMs)
      const signal = options?.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
      try {
        const connection = await libp2p.dial(target, { signal })
        const stream = await connection.newStream(protocol, { signal })
        return new Libp2pConnection({ stream, connection, maxFrameBytes: init.maxFrameBytes })
      } catch (err) {
        if (options?.signal?.aborted) throw new AbortError(`dial to ${address} was aborted`, { cause: options.signal.reason })
        const cause = timeout.aborted ? `no answer within ${dialTimeoutMs} ms` : describeDialFailure(err)
        throw new UnreachableError(`cannot reach requester at ${address}: ${cause}`, { cause: err, hint })
      }
    },
  }
}

/** A readable reason of a failed dial; the WebSocket transport rejects with an Event that has no message. */
function describeDialFailure(err: unknown): string {
  if (err instanceof Error && err.message !== '') return err.message
  if (typeof Event !== 'undefined' && err instanceof Event) return 'the WebSocket connection failed (is anything listening there?)'
  return String(err)
}
