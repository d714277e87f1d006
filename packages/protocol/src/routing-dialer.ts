import { BadRequestError } from '@shoal/models'
import type { Dialer } from './transport.ts'

/** One kind of address and the dialer that dials it. */
export interface DialerRoute {
  /** Whether this route's dialer dials `address`. */
  matches(address: string): boolean
  dialer: Dialer
}

/**
 * A Dialer that dials each address with the first route that matches it, so one compute node can
 * list a requester's libp2p multiaddrs and its WebSocket URL and fall back from one to the other.
 */
export function createRoutingDialer(routes: DialerRoute[]): Dialer {
  return {
    dial: async (address, options) => {
      const route = routes.find((candidate) => candidate.matches(address))
      if (route === undefined) {
        throw new BadRequestError(`no transport dials ${address}`, { hint: 'give a libp2p multiaddr (/ip4/…/p2p/…) or a ws:// or wss:// URL' })
      }
      return route.dialer.dial(address, options)
    },
    stop: async () => {
      for (const route of routes) await route.dialer.stop?.()
    },
  }
}
