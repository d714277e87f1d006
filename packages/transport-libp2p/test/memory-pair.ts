import { MemoryNetwork, type Connection, type MemoryConnection } from '@shoal/protocol'
import type { MakeTransportPair } from '@shoal/protocol/transport-compliance'

/** The in-memory transport of @shoal/protocol as a TransportPair (the reference behaviour). */
export function memoryPair(): MakeTransportPair {
  return async () => {
    const network = new MemoryNetwork()
    const inner = network.listener('requester')
    const accepted: Connection[] = []
    return {
      listener: {
        addresses: inner.addresses,
        start: (onConnection) =>
          inner.start((connection) => {
            accepted.push(connection)
            onConnection(connection)
          }),
        stop: () => inner.stop(),
      },
      dialer: network.dialer('compute-1'),
      transport: 'memory',
      address: () => 'requester',
      deadAddress: async () => 'nobody-home',
      rawFrameWriter: async (address) => {
        const local = await network.dialer('raw').dial(address)
        const remote = accepted.at(-1) as MemoryConnection
        return { write: async (body) => remote.deliver(body), close: () => local.close() }
      },
      close: async () => {},
    }
  }
}
