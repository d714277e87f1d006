import { BadRequestError } from '@shoal/models'

/** What `shoal serve`/`devstack` will listen with, as far as exposure goes. */
export interface Exposure {
  host: string
  /** Whether this process runs a requester (its API and compute-protocol listener are the doors). */
  orchestrator: boolean
  apiTokens: boolean
  joinToken: boolean
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
}

/**
 * Why listening like this is unsafe, one reason a line; empty when it is not. A requester on a
 * non-loopback address without API tokens lets anyone on the network submit jobs, read every
 * result and approve nodes; without a join token anyone can join as a compute node and receive
 * jobs and their inputs.
 */
export function exposureProblems(exposure: Exposure): string[] {
  if (!exposure.orchestrator || isLoopbackHost(exposure.host)) return []
  const problems: string[] = []
  if (!exposure.apiTokens) problems.push(`the REST API on ${exposure.host} has no API tokens (--api-tokens, --api-tokens-file): anyone who can reach it can submit and stop jobs, read their results and approve nodes`)
  if (!exposure.joinToken) problems.push(`the compute-protocol listener on ${exposure.host} has no join token (--join-token): any machine that can reach it can join as a compute node and receive jobs and their inputs`)
  return problems
}

/**
 * Refuses to start an exposed requester (BadRequestError listing every reason) unless `insecure`;
 * with `insecure`, returns the warning lines to print on every start.
 */
export function checkExposure(exposure: Exposure, insecure: boolean): string[] {
  const problems = exposureProblems(exposure)
  if (problems.length === 0) return []
  if (!insecure) {
    throw new BadRequestError(`refusing to listen on ${exposure.host} unprotected:\n  - ${problems.join('\n  - ')}`, {
      hint: 'Configure the tokens (see docs/SECURITY.md), listen on 127.0.0.1 only, or pass --insecure to accept the risk.',
    })
  }
  return problems.map((problem) => `WARNING (--insecure): ${problem}`)
}
