/**
 * The RTCConfiguration every WebRTC transport gets: ICE servers only when configured
 * (@libp2p/webrtc otherwise contacts public STUN servers), plus any extra runtime options
 * (node-runner adds node-datachannel's `bindAddress`).
 */
export function webRTCConfiguration(iceServers: RTCIceServer[] | undefined, extra: RTCConfiguration | undefined): RTCConfiguration {
  return { ...extra, iceServers: iceServers ?? [] }
}
