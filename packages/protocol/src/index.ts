/**
 * @shoal/protocol — the compute protocol (validated, versioned messages) and the Transport
 * contract (Listener, Dialer, Connection), with an in-memory transport for tests.
 */
export * from './messages.ts'
export { encodeMessage, decodeMessage, decodeMessageValue, toMessage, MAX_FRAME_BYTES } from './codec.ts'
export type { Connection, ConnectionHandlers, Listener, Dialer } from './transport.ts'
export { MemoryNetwork, MemoryConnection } from './memory-transport.ts'
export {
  generateNodeKey,
  generateNodeKeyJwk,
  handshakeProofBytes,
  newChallengeNonce,
  nodeKeyFromJwk,
  nodeKeyFromSigner,
  signHandshakeProof,
  verifyHandshakeProof,
} from './node-key.ts'
export type { HandshakeProofFields, NodeKey } from './node-key.ts'
