import type { ConnectionGater } from '@libp2p/interface'

/**
 * A connection gater that lets a node dial loopback, private and plain `ws://` addresses, which
 * the browser default refuses. For development and tests only: on the public network it lets a
 * page be pointed at hosts on the contributor's LAN.
 */
export function devConnectionGater(): ConnectionGater {
  return { denyDialMultiaddr: () => false }
}
