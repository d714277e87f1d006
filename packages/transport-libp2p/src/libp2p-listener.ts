import type { Connection, Listener } from '@shoal/protocol'
import type { Libp2p } from '@libp2p/interface'
import { COMPUTE_PROTOCOL_ID } from './protocol-id.ts'
import { Libp2pConnection } from './libp2p-connection.ts'

/** Options of createLibp2pListener. */
export interface Libp2pListenerInit {
  /** A started libp2p node (e.g. from createRequesterLibp2p); the listener does not stop it. */
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'getMultiaddrs'>
  /** Defaults to COMPUTE_PROTOCOL_ID. */
  protocol?: string
  /** Largest frame accepted or sent; defaults to MAX_FRAME_BYTES. */
  maxFrameBytes?: number
  /** Streams one compute node may hold open at once on one libp2p connection (default 4). */
  maxInboundStreams?: number
}

/**
 * The requester side of the compute protocol over libp2p: every compute protocol stream a peer
 * opens becomes a Connection. `addresses` are the node's multiaddrs, each ending in
 * `/p2p/<peer id>`, ready to hand to compute nodes. `stop()` stops accepting and closes the
 * connections it accepted; it leaves the libp2p node running.
 */
export function createLibp2pListener(init: Libp2pListenerInit): Listener {
  const { libp2p } = init
  const protocol = init.protocol ?? COMPUTE_PROTOCOL_ID
  const open = new Set<Connection>()
  let started = false
  return {
    get addresses() {
      return libp2p.getMultiaddrs().map((address) => address.toString())
    },
    async start(onConnection) {
      await libp2p.handle(
        protocol,
        (stream, connection) => {
          const accepted = new Libp2pConnection({ stream, connection, maxFrameBytes: init.maxFrameBytes })
          open.add(accepted)
          stream.addEventListener('close', () => open.delete(accepted))
          onConnection(accepted)
        },
        { maxInboundStreams: init.maxInboundStreams ?? 4 },
      )
      started = true
    },
    async stop() {
      if (started) await libp2p.unhandle(protocol)
      started = false
      await Promise.all([...open].map((connection) => connection.close('requester is shutting down')))
      open.clear()
    },
  }
}
