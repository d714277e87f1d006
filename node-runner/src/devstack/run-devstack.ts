import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BadRequestError } from '@shoal/models'
import type { DevstackCommandOptions } from '../cli/cli-context.ts'
import { preferredDialOrder, serverLogger, untilAborted } from '../serve/run-serve.ts'
import { startComputeServer, type ComputeServer } from '../serve/compute-server.ts'
import { startRequesterServer } from '../serve/requester-server.ts'
import { CHECKOUT_DIR, defaultWebRoot, WEB_DIST_DIR } from '../serve/web-root.ts'
import { openHeadlessTabs, type HeadlessTabs } from '../browsers/index.ts'
import { checkExposure } from '../serve/exposure-check.ts'

/** A running devstack. */
export interface Devstack {
  readonly url: string
  readonly multiaddrs: string[]
  readonly computes: ComputeServer[]
  stop(): Promise<void>
}

/** Starts a requester and `computes` compute nodes in this process, on loopback. */
export async function startDevstack(options: Omit<DevstackCommandOptions, 'signal'> & { logLevel?: string }): Promise<Devstack> {
  const logger = serverLogger({ ...process.env, SHOAL_LOG_LEVEL: options.logLevel ?? process.env.SHOAL_LOG_LEVEL ?? 'warn' })
  // devstack never configures tokens: beyond loopback it is open to the network.
  for (const warning of checkExposure({ host: options.host, orchestrator: true, apiTokens: false, joinToken: false }, options.insecure ?? false)) process.stderr.write(warning + '\n')
  if (options.browsers > 0 && defaultWebRoot() === undefined) {
    throw new BadRequestError('--browsers needs the built contribute page', { hint: 'run `npm run build -w web` first' })
  }
  const temporary = options.dataDir === undefined
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'shoal-devstack-')))
  const requester = await startRequesterServer({ dataDir: join(dataDir, 'requester'), host: options.host, port: options.port, webRoot: WEB_DIST_DIR, webCheckoutDir: CHECKOUT_DIR, logger })
  const computes: ComputeServer[] = []
  let tabs: HeadlessTabs | undefined
  const stop = async () => {
    await tabs?.close()
    await Promise.all(computes.map((c) => c.stop({ goodbye: true })))
    await requester.stop()
    if (temporary) await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const cpuEach = Math.max(1, options.computes > 0 ? 2 : 1)
    computes.push(
      ...(await Promise.all(
        Array.from({ length: options.computes }, (_, i) =>
          startComputeServer({
            dataDir: join(dataDir, `compute-${i}`),
            requesterAddresses: preferredDialOrder(requester.multiaddrs),
            host: options.host,
            labels: { name: `compute-${i}` },
            capacityCpu: String(cpuEach),
            capacityMemory: '2Gi',
            workers: 2,
            allowedPaths: options.allowListedLocalPaths,
            allowUrlHosts: options.allowUrlHosts,
            docker: options.docker,
            logger,
          }),
        ),
      )),
    )
    // Ready = every compute node has joined.
    const deadline = Date.now() + 15_000
    while ((await requester.requester.listNodes()).filter((n) => n.Info.NodeType === 'Compute' && n.ConnectionState.Status === 'CONNECTED').length < options.computes) {
      if (Date.now() > deadline) throw new Error(`only some of the ${options.computes} compute nodes joined within 15 s`)
      await new Promise((r) => setTimeout(r, 20))
    }
    // Headless tabs of the contribute page, each a compute node (runtime=browser).
    if (options.browsers > 0) tabs = await openHeadlessTabs({ url: `${requester.url}/`, count: options.browsers, namespaceOk: true })
  } catch (err) {
    await stop()
    throw err
  }
  return { url: requester.url, multiaddrs: requester.multiaddrs, computes, stop }
}

/** `shoal devstack`: prints where everything is and a copy-paste example, runs until interrupted. */
export async function runDevstack(options: DevstackCommandOptions): Promise<void> {
  const started = performance.now()
  const devstack = await startDevstack(options)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const out = (line: string) => process.stdout.write(line + '\n')
  out(`Shoal devstack ready in ${seconds} s: 1 requester, ${devstack.computes.length} compute node(s)${options.browsers > 0 ? `, ${options.browsers} headless browser tab(s)` : ''}`)
  out(`  API:        ${devstack.url}`)
  out(`  Contribute: open ${devstack.url}/ in a browser to add the tab as a compute node`)
  for (const [i, addr] of devstack.multiaddrs.entries()) out(`  ${i === 0 ? 'Multiaddrs: ' : '            '}${addr}`)
  out('')
  // As the README's tour: the CLI from any directory (npx finds it in this checkout, never on the registry).
  const bare = CHECKOUT_DIR.replace(/\/$/, '')
  const checkout = /[\s"'$`\\]/.test(bare) ? `'${bare}'` : bare
  out('Try it (in another terminal, in any directory):')
  out(`  export SHOAL_API_URL=${devstack.url}`)
  out(`  alias shoal="npx --prefix ${checkout} shoal"`)
  out(`  shoal wasm run ${checkout}/packages/wasm/test/fixtures/hello.wasm`)
  out('  shoal job list')
  out('  shoal node list')
  out('Press Ctrl-C to stop.')
  try {
    await untilAborted(options.signal)
  } finally {
    await devstack.stop()
  }
}
