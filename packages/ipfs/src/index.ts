/**
 * @shoal/ipfs — IPFS for Shoal over any Helia node, with Web APIs only (tabs, the edge, Node):
 * Kubo-compatible UnixFS import, lazy readable trees over UnixFS DAGs, the `ipfs` input source
 * and publisher, and a trustless gateway handler. Each takes only the parts of a Helia node it
 * uses, so a bare blockstore does where no network is needed.
 */
export { importTree, kuboImporterOptions, KUBO_CHUNK_SIZE, KUBO_MAX_CHILDREN, KUBO_SHARD_THRESHOLD_BYTES } from './kubo-import.ts'
export type { ImportTreeOptions } from './kubo-import.ts'
export { openUnixfsTree, readUnixfs, unixfsTree } from './unixfs-tree.ts'
export { readAheadContent, UNIXFS_READ_AHEAD_BYTES } from './read-ahead-content.ts'
export type { FileEntry, ReadAheadOptions } from './read-ahead-content.ts'
export type { UnixfsBlocks, UnixfsTreeOptions } from './unixfs-tree.ts'
export { parseUnixfsCid } from './cid-param.ts'
export { blockMatches, importCar } from './car-import.ts'
export type { ImportCarOptions } from './car-import.ts'
export type { PeerLister, RootComponents } from './root-block.ts'
export { IpfsStorage } from './ipfs-storage.ts'
export type { IpfsStorageComponents, IpfsStorageInit } from './ipfs-storage.ts'
export { IpfsPublisher } from './ipfs-publisher.ts'
export type { IpfsPublisherComponents } from './ipfs-publisher.ts'
export { trustlessGateway } from './trustless-gateway.ts'
export type { GatewayDirectoryEntry, GatewayDirectoryListing, TrustlessGatewayComponents, TrustlessGatewayInit } from './trustless-gateway.ts'
