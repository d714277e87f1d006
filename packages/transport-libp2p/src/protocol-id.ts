/**
 * The libp2p protocol id of the compute protocol. The major version follows
 * `PROTOCOL_VERSION` of @shoal/protocol: a peer speaking another major version fails protocol
 * negotiation instead of exchanging messages it cannot read.
 */
export const COMPUTE_PROTOCOL_ID = '/shoal/compute/2.0.0'
