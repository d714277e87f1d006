import { UrlRefusedError } from '@shoal/models'

/**
 * Which hosts a compute node may fetch URL inputs from. Jobs are hostile: without this, a job's
 * `urlDownload` input could read the node's own services (the requester's `/agent/config`, a
 * result server, a cloud metadata endpoint) and print them. Loopback, link-local, private,
 * shared, multicast and reserved addresses are refused unless an `allowHosts` entry matches.
 */
export interface UrlHostPolicyInit {
  /**
   * Hosts that are fetched even though they are (or resolve to) refused addresses: host names
   * (`files.internal`), IP addresses (`127.0.0.1`, `::1`) or CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
   */
  allowHosts?: readonly string[]
}

type Range = { version: 4 | 6; bits: bigint; prefix: number }

/** Address ranges no job may reach by default, with why (shown in the error). */
const REFUSED_RANGES: ReadonlyArray<[string, string]> = [
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'private (unique local)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]

/** IPv6 prefixes that carry an IPv4 address in their last 32 bits: judged by that address. */
const EMBEDDED_V4: ReadonlyArray<string> = ['::ffff:0:0/96', '64:ff9b::/96', '::/96']

/** The 32- or 128-bit value of an IP address literal, or undefined when `text` is not one. */
export function parseIpAddress(text: string): { version: 4 | 6; bits: bigint } | undefined {
  const host = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (v4) {
    const parts = v4.slice(1).map(Number)
    if (parts.some((p) => p > 255)) return undefined
    return { version: 4, bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) }
  }
  if (!host.includes(':')) return undefined
  let address = host.split('%')[0].toLowerCase()
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes two hex groups.
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address)
  if (tail) {
    const p = tail.slice(1).map(Number)
    if (p.some((x) => x > 255)) return undefined
    address = address.slice(0, tail.index) + `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`
  }
  const halves = address.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : halves[0].split(':')
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : []
  const missing = 8 - head.length - rest.length
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest]
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined
  return { version: 6, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) }
}

function parseRange(text: string): Range | undefined {
  const [address, prefixText] = text.split('/')
  const ip = parseIpAddress(address)
  if (!ip) return undefined
  const width = ip.version === 4 ? 32 : 128
  const prefix = prefixText === undefined ? width : Number(prefixText)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined
  return { ...ip, prefix }
}

function inRange(ip: { version: 4 | 6; bits: bigint }, range: Range): boolean {
  if (ip.version !== range.version) return false
  const width = ip.version === 4 ? 32n : 128n
  const shift = width - BigInt(range.prefix)
  return ip.bits >> shift === range.bits >> shift
}

const refused = REFUSED_RANGES.map(([cidr, kind]) => ({ range: parseRange(cidr)!, kind }))
const embedded = EMBEDDED_V4.map((cidr) => parseRange(cidr)!)

/** Why an address is refused ("loopback", "private", …), or undefined when it is public. */
export function refusedAddressKind(address: string): string | undefined {
  const ip = parseIpAddress(address)
  if (!ip) return undefined
  if (ip.version === 6 && ip.bits !== 0n && ip.bits !== 1n && embedded.some((range) => inRange(ip, range))) {
    const v4 = ip.bits & 0xffffffffn
    return refusedAddressKind([24n, 16n, 8n, 0n].map((s) => String((v4 >> s) & 0xffn)).join('.'))
  }
  return refused.find(({ range }) => inRange(ip, range))?.kind
}

/** Host names that always mean this machine, whatever DNS says (RFC 6761). */
const LOCAL_NAMES = /^(localhost|localhost\.localdomain)$|\.localhost$/

/** The policy deciding which URL hosts (and resolved addresses) a compute node may fetch. */
export class UrlHostPolicy {
  private readonly names = new Set<string>()
  private readonly ranges: Range[] = []

  constructor(init: UrlHostPolicyInit = {}) {
    for (const entry of init.allowHosts ?? []) {
      const trimmed = entry.trim().toLowerCase()
      if (trimmed === '') continue
      const range = parseRange(trimmed)
      if (range) this.ranges.push(range)
      else this.names.add(trimmed.replace(/\.$/, ''))
    }
  }

  /** Whether the allow-list names this host (a host name, an address or a range holding it). */
  allows(host: string): boolean {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    if (this.names.has(bare.toLowerCase().replace(/\.$/, ''))) return true
    const ip = parseIpAddress(bare)
    return ip !== undefined && this.ranges.some((range) => inRange(ip, range))
  }

  /**
   * Throws UrlRefusedError when `url`'s host is a refused address literal or a local name and
   * not allow-listed. `where` names the field (e.g. `InputSources[0].Source.Params.URL`).
   * Host names are judged again after DNS where the runtime lets us (see checkAddress).
   */
  checkUrl(url: URL, where: string): void {
    const host = url.hostname
    if (this.allows(host)) return
    const bare = host.startsWith('[') ? host.slice(1, -1) : host
    const kind = refusedAddressKind(bare) ?? (LOCAL_NAMES.test(bare.toLowerCase().replace(/\.$/, '')) ? 'loopback' : undefined)
    if (kind) throw refusal(url.host, kind, where)
  }

  /**
   * Throws UrlRefusedError when `host` resolved to `address` in a refused range, unless
   * allow-listed. `where` names the field; empty when the caller (a fetch) does not know it.
   */
  checkAddress(host: string, address: string, where = ''): void {
    if (this.allows(host) || this.allows(address)) return
    const kind = refusedAddressKind(address)
    if (kind) throw refusal(`${host} (${address})`, kind, where)
  }
}

function refusal(host: string, kind: string, where: string): UrlRefusedError {
  return new UrlRefusedError(`${where ? `${where}: ` : ''}${host} is a ${kind} address; compute nodes do not fetch URL inputs from it`, {
    hint: 'Use a public URL, or have the compute node operator allow-list the host (--allow-url-hosts).',
    details: { host, kind },
  })
}
