import { ShoalError } from '@shoal/models'

/** WebRTC is needed but this runtime has no RTCPeerConnection (e.g. a Web Worker). */
export class WebRTCUnavailableError extends ShoalError {
  override readonly code = 'WebRTCUnavailable'
  override readonly status = 500
}
