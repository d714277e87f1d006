import { createSocket } from 'node:dgram'
import * as lp from 'it-length-prefixed'
import { multiaddr } from '@multiformats/multiaddr'
import {
  COMPUTE_PROTOCOL_ID,
  createComputeLibp2p,
  createLibp2pDialer,
  createLibp2pListener,
  createRequesterLibp2p,
  generatePeerKey,
  type Libp2p,
} from '../src/index.ts'
import type { MakeTransportPair } from '@shoal/protocol/transport-compliance'

/** Which libp2p transport a pair runs over (both ends on 127.0.0.1). */
export type Libp2pPairKind = 'websockets' | 'webrtc-direct'

const LISTEN: Record<Libp2pPairKind, string> = {
  websockets: '/ip4/127.0.0.1/tcp/0/ws',
  'webrtc-direct': '/ip4/127.0.0.1/udp/0/webrtc-direct',
}
const MARKER: Record<Libp2pPairKind, string> = { websockets: '/ws/', 'webrtc-direct': '/webrtc-direct/' }

/** The address of `node` that uses the pair's transport. */
export function addressOf(node: Libp2p, kind: Libp2pPairKind): string {
  const address = node
    .getMultiaddrs()
    .map((ma) => ma.toString())
    .find((a) => a.includes(MARKER[kind]))
  if (address === undefined) throw new Error(`no ${kind} address among ${node.getMultiaddrs().join(', ')}`)
  return address
}

/** A requester libp2p node listening on one transport, and a compute node dialing it. */
export function libp2pPair(kind: Libp2pPairKind, options: { dialTimeoutMs?: number } = {}): MakeTransportPair {
  return async () => {
    const requester = await createRequesterLibp2p({ privateKey: await generatePeerKey(), listen: [LISTEN[kind]] })
    const compute = await createComputeLibp2p({ transports: 'node' })
    const others: Libp2p[] = []
    const listener = createLibp2pListener({ libp2p: requester })
    return {
      listener,
      dialer: createLibp2pDialer({ libp2p: compute, dialTimeoutMs: options.dialTimeoutMs ?? 5_000 }),
      transport: kind,
      address: () => addressOf(requester, kind),
      deadAddress: () => deadAddress(kind, requester),
      rawFrameWriter: async (address) => {
        const node = await createComputeLibp2p({ transports: 'node' })
        others.push(node)
        const stream = await node.dialProtocol(multiaddr(address), COMPUTE_PROTOCOL_ID)
        return {
          write: async (body) => {
            if (!stream.send(lp.encode.single(body))) await stream.onDrain()
          },
          close: () => stream.close(),
        }
      },
      close: async () => {
        await Promise.all([compute.stop(), ...others.map((node) => node.stop())])
        await requester.stop()
      },
    }
  }
}

/** A UDP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

/**
 * An address of the pair's transport where nothing answers. For WebRTC-direct it is the live
 * requester's address moved to a free UDP port, never a listener stopped in this process:
 * node-datachannel 0.33 crashes the process (SIGSEGV) when it dials the port of a
 * webrtc-direct listener that was stopped in the same process.
 */
export async function deadAddress(kind: Libp2pPairKind, live: Libp2p): Promise<string> {
  if (kind === 'webrtc-direct') return addressOf(live, kind).replace(/\/udp\/\d+\//, `/udp/${await freeUdpPort()}/`)
  const gone = await createRequesterLibp2p({ privateKey: await generatePeerKey(), listen: [LISTEN[kind]] })
  const address = addressOf(gone, kind)
  await gone.stop()
  return address
}
