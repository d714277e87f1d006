/** Options of nodeRTCConfiguration. */
export interface NodeRTCConfigurationInit {
  /**
   * Local address node-datachannel binds ICE to. Set '127.0.0.1' for Node<->Node `/webrtc`
   * inside a loopback-only network namespace (tests, bench); leave unset in production.
   */
  bindAddress?: string
}

/**
 * Node-only RTCConfiguration extras for node-datachannel, to pass as `rtcConfiguration` to
 * createRequesterLibp2p / createComputeLibp2p (ICE servers are passed there separately).
 */
export function nodeRTCConfiguration(init: NodeRTCConfigurationInit = {}): RTCConfiguration {
  return (init.bindAddress === undefined ? {} : { bindAddress: init.bindAddress }) as RTCConfiguration
}
