/** `shoal devstack`: a requester and N compute nodes on loopback, in one process. */
export { runDevstack, startDevstack } from './run-devstack.ts'
export type { Devstack } from './run-devstack.ts'
