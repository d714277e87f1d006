import { UnreachableError } from '@shoal/models'
import type { Connection, Dialer } from './transport.ts'
import { fetchRequesterTransports, type RequesterTransports } from './requester-transports.ts'

/** Options of createDiscoveringDialer. */
export interface DiscoveringDialerInit {
  /** Dials what discovery finds (libp2p multiaddrs and ws(s):// URLs; see createRoutingDialer). */
  dialer: Dialer
  /** The addresses to try, in order, among what the requester offers (e.g. libp2p first, then WebSocket). */
  order(transports: RequesterTransports): string[]
  fetch?: typeof fetch
}

/** Whether `address` is an http:// or https:// URL (a requester API a discovering dialer asks). */
export function isHttpAddress(address: string): boolean {
  return /^https?:\/\//i.test(address)
}

/**
 * A Dialer for a requester's API URL: each dial asks GET /api/v1/shoal/peers what the requester
 * offers now, then dials those addresses in `order` until one connects. Asking on every dial
 * keeps a reconnecting node current when the requester restarts with other ports or transports.
 */
export function createDiscoveringDialer(init: DiscoveringDialerInit): Dialer {
  return {
    dial: async (apiUrl, options): Promise<Connection> => {
      options?.signal?.throwIfAborted()
      const transports = await fetchRequesterTransports(apiUrl, { signal: options?.signal, fetch: init.fetch })
      const addresses = init.order(transports)
      if (addresses.length === 0) {
        throw new UnreachableError(`the requester at ${apiUrl} offers no transport this node can dial`, {
          hint: 'start the requester with --compute-transports libp2p,websocket',
        })
      }
      const failures: string[] = []
      for (const address of addresses) {
        try {
          return await init.dialer.dial(address, options)
        } catch (err) {
          if (options?.signal?.aborted) throw options.signal.reason
          failures.push(`${address}: ${(err as Error).message}`)
        }
      }
      throw new UnreachableError(`cannot reach the requester at ${apiUrl} on any transport it offers (${failures.join('; ')})`, {
        hint: 'check the requester is reachable from here on the ports it lists at /api/v1/shoal/peers',
      })
    },
    stop: () => init.dialer.stop?.() ?? Promise.resolve(),
  }
}
