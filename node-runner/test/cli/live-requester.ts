/**
 * A real requester for CLI tests: Requester on a SQLite store, one compute node (noop engine and
 * publisher) over an in-memory transport, and the REST API served on 127.0.0.1:<random>.
 */
import { serve, type ServerType } from '@hono/node-server'
import { ComputeNode, NoopEngine, NoopPublisher } from '@shoal/compute'
import { createRequesterApp, Requester, SqlJobStore, type ApiToken } from '@shoal/orchestrator'
import { MemoryNetwork } from '@shoal/protocol'
import { createNodeSqliteDatabase } from '../../src/sqlite/node-sqlite-database.ts'

/** A running requester + compute node; `url` is the API base URL. */
export interface LiveRequester {
  url: string
  requester: Requester
  stop(): Promise<void>
}

/** Starts the stack and waits until the compute node is connected. */
export async function startLiveRequester(options: { auth?: { tokens: ApiToken[] } } = {}): Promise<LiveRequester> {
  const network = new MemoryNetwork()
  const requester = new Requester({
    store: new SqlJobStore({ db: createNodeSqliteDatabase(':memory:') }),
    listeners: [network.listener('requester')],
    config: { nodeId: 'n-requester' },
  })
  await requester.start()
  const compute = new ComputeNode({
    nodeId: 'n-compute-1',
    labels: { zone: 'test' },
    engines: [new NoopEngine()],
    publishers: [new NoopPublisher()],
    capacity: { CPU: 2, Memory: 2e9, Disk: 1e9, GPU: 0 },
    dialer: network.dialer('n-compute-1'),
    requesterAddresses: ['requester'],
  })
  const connected = new Promise<void>((resolve) => {
    compute.addEventListener('status', (event) => {
      if ((event as CustomEvent<{ status: string }>).detail.status === 'connected') resolve()
    })
  })
  await compute.start()
  await connected
  const app = createRequesterApp({ service: requester, version: { GitVersion: 'v9.9.9-test' }, auth: options.auth })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const address = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${address.port}`,
    requester,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await compute.stop()
      await requester.stop()
    },
  }
}
