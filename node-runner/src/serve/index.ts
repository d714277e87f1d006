/** `shoal serve`: the requester and compute node assembled for Node. */
export { runServe, serverLogger, preferredDialOrder, untilAborted } from './run-serve.ts'
export { startRequesterServer } from './requester-server.ts'
export type { RequesterServer, RequesterServerOptions } from './requester-server.ts'
export { startComputeServer, computeCapacity } from './compute-server.ts'
export type { ComputeServer, ComputeServerOptions } from './compute-server.ts'
export { CHECKOUT_DIR, defaultWebRoot, WEB_DIST_DIR } from './web-root.ts'
