import { createConsoleLogger, type Logger, type LogLevel } from '@shoal/interface'
import { BadRequestError } from '@shoal/models'
import type { ServeCommandOptions } from '../cli/cli-context.ts'
import { startComputeServer, type ComputeServer } from './compute-server.ts'
import { startRequesterServer, type RequesterServer } from './requester-server.ts'
import { checkExposure } from './exposure-check.ts'
import { preferredDialOrder } from './requester-dialer.ts'
import { CHECKOUT_DIR, WEB_DIST_DIR } from './web-root.ts'

/** The logger of a server process: one line per entry on stderr, level from SHOAL_LOG_LEVEL. */
export function serverLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = (env.SHOAL_LOG_LEVEL ?? 'info') as LogLevel
  return createConsoleLogger({ level: ['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info' })
}

export { preferredDialOrder }

/** Resolves when `signal` aborts. */
export const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))

/**
 * `shoal serve`: a requester, a compute node, or both in one process, until SIGINT/SIGTERM.
 * Prints the API URL and the multiaddrs on stdout.
 */
export async function runServe(options: ServeCommandOptions): Promise<void> {
  const logger = serverLogger()
  const out = (line: string) => process.stdout.write(line + '\n')
  const exposure = { host: options.host, orchestrator: options.orchestrator, apiTokens: (options.apiTokens?.length ?? 0) > 0, joinToken: options.joinToken !== undefined }
  for (const warning of checkExposure(exposure, options.insecure)) process.stderr.write(warning + '\n')
  let requester: RequesterServer | undefined
  let compute: ComputeServer | undefined
  try {
    if (options.orchestrator) {
      requester = await startRequesterServer({
        dataDir: options.dataDir ?? '.shoal',
        host: options.host,
        port: options.port,
        peerPort: options.peerPort,
        computeTransports: options.computeTransports,
        joinToken: options.joinToken,
        manualApproval: options.manualApproval,
        apiTokens: options.apiTokens,
        config: { defaultQueueTimeoutS: options.defaultQueueTimeoutS ?? 0, verificationRequiredLabels: options.verificationRequiredLabels, ...(options.defaultExecutionTimeoutS === undefined ? {} : { defaultExecutionTimeoutS: options.defaultExecutionTimeoutS }) },
        tls: options.tlsCert !== undefined && options.tlsKey !== undefined ? { certFile: options.tlsCert, keyFile: options.tlsKey } : undefined,
        // Served even before it is built: / then says how to build it (never a bare 404).
        webRoot: WEB_DIST_DIR,
        webCheckoutDir: CHECKOUT_DIR,
        ipfs: options.ipfs,
        logger,
      })
      out(`Shoal requester ready`)
      out(`  API:        ${requester.url}`)
      if (options.apiTokens) out(`  Auth:       bearer token required on the API (${options.apiTokens.length} token(s) configured)`)
      out(`  Contribute: open ${requester.url}/ in a browser to add the tab as a compute node`)
      for (const [i, addr] of requester.multiaddrs.entries()) out(`  ${i === 0 ? 'Multiaddrs: ' : '            '}${addr}`)
      if (requester.computeSocketUrl) out(`  WebSocket:  ${requester.computeSocketUrl}`)
      // Last of the ready lines: scripts wait for it.
      out(`  Transports: ${[requester.multiaddrs.length > 0 ? 'libp2p' : '', requester.computeSocketUrl ? 'websocket' : ''].filter(Boolean).join(', ')}`)
    }
    if (options.compute) {
      // An API URL is asked for the transports on every dial (createRequesterDialer); the
      // in-process requester is dialed on libp2p when it listens there, else on its WebSocket.
      const addresses = options.requester
        ? [options.requester]
        : [...preferredDialOrder(requester?.multiaddrs ?? []), ...(requester?.computeSocketUrl ? [requester.computeSocketUrl] : [])]
      if (addresses.length === 0) throw new BadRequestError('a compute node needs a requester to connect to', { hint: 'pass --requester <API URL or multiaddr>' })
      compute = await startComputeServer({
        dataDir: options.dataDir ? `${options.dataDir}/compute` : '.shoal/compute',
        requesterAddresses: addresses,
        host: options.host,
        labels: options.computeLabels,
        capacityCpu: options.capacityCpu,
        capacityMemory: options.capacityMemory,
        diskBudget: options.diskBudget,
        allowedPaths: options.allowListedLocalPaths,
        joinToken: options.joinToken,
        publisherUrl: options.publisherUrl,
        allowUrlHosts: options.allowUrlHosts,
        ipfs: options.ipfs,
        docker: options.docker,
        dockerPull: options.dockerPull,
        dockerUser: options.dockerUser,
        allowNetworks: options.allowNetworks,
        disabledEngines: options.disabledEngines,
        disabledInputSources: options.disabledInputSources,
        disabledPublishers: options.disabledPublishers,
        logger,
      })
      requester?.attachCompute(compute.node)
      out(`Shoal compute node ${compute.nodeId} started, dialing ${addresses[0]}`)
      out(`  Results:    ${compute.resultsUrl}`)
    }
    await untilAborted(options.signal)
  } finally {
    await compute?.stop({ goodbye: true })
    await requester?.stop()
  }
}
