import { createLibp2p } from 'libp2p'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { webRTC, webRTCDirect } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { WebRTCUnavailableError } from './webrtc-unavailable-error.ts'
import { webRTCConfiguration } from './webrtc-configuration.ts'

/** Options of createComputeLibp2p. */
export interface ComputeLibp2pInit {
  /** The node's identity; a fresh one when omitted (a tab without storage). */
  privateKey?: PrivateKey
  /**
   * Where the node runs. 'browser' checks that RTCPeerConnection exists (it does not in Web
   * Workers: keep libp2p on the page); 'node' uses node-datachannel for WebRTC.
   */
  transports: 'node' | 'browser'
  /** ICE servers for WebRTC; none unless configured. */
  iceServers?: RTCIceServer[]
  /** Extra RTCConfiguration fields (node-runner passes node-datachannel's bindAddress). */
  rtcConfiguration?: RTCConfiguration
  /**
   * Which addresses may be dialed. Browsers refuse loopback and `ws://` by default: pass
   * devConnectionGater() in development and tests.
   */
  connectionGater?: ConnectionGater
  /** Addresses to listen on; none by default (a compute node only dials). */
  listen?: string[]
}

/** Services of a compute node libp2p node. */
export type ComputeServices = {
  identify: Identify
  ping: Ping
}

/**
 * A started libp2p node for a compute node (a Node process or a browser tab): dials
 * WebSockets, WebRTC-direct, WebRTC and circuit relay, with noise, yamux, identify and ping.
 * Reach a requester with createLibp2pDialer; stop it with `stop()`.
 */
export async function createComputeLibp2p(init: ComputeLibp2pInit): Promise<Libp2p<ComputeServices>> {
  if (init.transports === 'browser' && typeof globalThis.RTCPeerConnection !== 'function') {
    throw new WebRTCUnavailableError('WebRTC (RTCPeerConnection) is not available here', {
      hint: 'create the libp2p node on the page, not in a Web Worker, and run the WASM in workers',
    })
  }
  const rtcConfiguration = webRTCConfiguration(init.iceServers, init.rtcConfiguration)
  return createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen ?? [] },
    transports: [webSockets(), webRTCDirect({ rtcConfiguration }), webRTC({ rtcConfiguration }), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: init.connectionGater,
    services: { identify: identify(), ping: ping() },
  })
}
