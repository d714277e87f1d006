import { createLibp2p } from 'libp2p'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { webRTC, webRTCDirect, type TransportCertificate } from '@libp2p/webrtc'
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayServerInit, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import { webRTCConfiguration } from './webrtc-configuration.ts'

/** Default requester listen addresses: WebSockets and WebRTC-direct on loopback, any port. */
export const DEFAULT_REQUESTER_LISTEN = ['/ip4/127.0.0.1/tcp/0/ws', '/ip4/127.0.0.1/udp/0/webrtc-direct']

/** Options of createRequesterLibp2p. */
export interface RequesterLibp2pInit {
  /** The requester's identity; keep it across restarts so its addresses stay valid. */
  privateKey: PrivateKey
  /** Multiaddrs to listen on; defaults to DEFAULT_REQUESTER_LISTEN. */
  listen?: string[]
  /** Addresses to advertise instead of the listen addresses (e.g. behind NAT or a proxy). */
  announce?: string[]
  /** ICE servers for WebRTC; none unless configured. */
  iceServers?: RTCIceServer[]
  /** Extra RTCConfiguration fields (node-runner passes node-datachannel's bindAddress). */
  rtcConfiguration?: RTCConfiguration
  /**
   * Also act as a circuit-relay v2 server so browsers can signal each other through the
   * requester (off by default). `true` or the relay server options.
   */
  relay?: boolean | CircuitRelayServerInit
  /**
   * The WebRTC-direct certificate. Its hash is part of the `/webrtc-direct/certhash/...`
   * address, so pass a stored one (or a persistent `datastore`) to keep that address stable.
   */
  webRTCDirectCertificate?: TransportCertificate
  /** Where libp2p keeps its state (the generated WebRTC-direct certificate among it); in memory by default. */
  datastore?: Datastore
  /** Most simultaneous connections (compute nodes, tabs, relayed peers); libp2p's default otherwise. */
  maxConnections?: number
  /**
   * Connections one host may open per second before more are refused (default 100; libp2p's
   * own default of 5 refuses a herd of compute nodes on one machine reconnecting after a
   * requester restart).
   */
  inboundConnectionThreshold?: number
  /** Incoming connections allowed to be mid-handshake at once (default 100; libp2p's is 10). */
  maxIncomingPendingConnections?: number
  connectionGater?: ConnectionGater
}

/** Services of a requester libp2p node. */
export type RequesterServices = {
  identify: Identify
  ping: Ping
  /** Present when `relay` was set. */
  relay?: CircuitRelayService
}

/**
 * A started libp2p node for a requester: listens on WebSockets and WebRTC-direct (compute nodes
 * and browser tabs dial it), dials WebRTC and circuit relay too, with noise, yamux, identify and
 * ping. Serve the compute protocol on it with createLibp2pListener; stop it with `stop()`.
 */
export async function createRequesterLibp2p(init: RequesterLibp2pInit): Promise<Libp2p<RequesterServices>> {
  const rtcConfiguration = webRTCConfiguration(init.iceServers, init.rtcConfiguration)
  const services: Record<string, unknown> = { identify: identify(), ping: ping() }
  if (init.relay) services.relay = circuitRelayServer(init.relay === true ? {} : init.relay)
  const node = await createLibp2p({
    privateKey: init.privateKey,
    datastore: init.datastore,
    addresses: { listen: init.listen ?? DEFAULT_REQUESTER_LISTEN, announce: init.announce },
    transports: [
      webSockets(),
      webRTCDirect({ rtcConfiguration, certificate: init.webRTCDirectCertificate }),
      webRTC({ rtcConfiguration }),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: init.connectionGater,
    connectionManager: {
      maxConnections: init.maxConnections,
      inboundConnectionThreshold: init.inboundConnectionThreshold ?? 100,
      maxIncomingPendingConnections: init.maxIncomingPendingConnections ?? 100,
    },
    services: services as { identify: ReturnType<typeof identify>; ping: ReturnType<typeof ping> },
  })
  return node as Libp2p<RequesterServices>
}
