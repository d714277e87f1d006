/** IPFS on Node: the process's Helia node, its peering, and the requester's result pinner. */
export { startNodeHelia, PUBLIC_BOOTSTRAP_PEERS, PUBLIC_DELEGATED_ROUTING_URL } from './node-helia.ts'
export type { NodeHelia, NodeHeliaOptions, SharedHelia } from './node-helia.ts'
export { IpfsPeering, parseIpfsPeers } from './ipfs-peering.ts'
export type { IpfsPeeringOptions } from './ipfs-peering.ts'
export { HeliaResultPinner, ResultPinError } from './helia-result-pinner.ts'
export type { HeliaResultPinnerOptions } from './helia-result-pinner.ts'
export type { IpfsSettings } from './ipfs-settings.ts'
