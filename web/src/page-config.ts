import { tryParseBytes } from '@shoal/models'

/** How this tab contributes, read from the page's address (all optional). */
export interface PageConfig {
  /**
   * Where the requester is: an http(s) URL of its API (default: this page's own origin, which
   * is the requester serving the page), its compute WebSocket (ws(s)://…/api/v1/shoal/compute) or
   * a multiaddr ending in /p2p/<peer id>.
   */
  requester: string
  /** Allow dialing loopback, private and plain ws:// addresses (browsers refuse them by default). */
  dev: boolean
  /** ICE servers for WebRTC; none unless given (`?ice=stun:host:port`, repeatable). */
  iceServers: RTCIceServer[]
  /** Workers to start with; default: half the cores, at least 1. */
  workers: number
  /** Upper bound of the CPU share slider: the browser's logical cores. */
  maxWorkers: number
  /** Start paused (`?paused=1`). */
  startPaused: boolean
  /** Extra node labels (`?label=region=eu`, repeatable); jobs select nodes with constraints on them. */
  labels: Record<string, string>
  /**
   * Bytes of the page's storage (OPFS) offered to jobs' data (`?disk=4Gi`); default: half of
   * what the browser would still let this origin store.
   */
  diskBytes?: number
  /**
   * Plug-in types the tab does not offer (`?disabled-engines=noop`, `?disabled-input-sources=`,
   * `?disabled-publishers=`; comma-separated or repeated), as node-runner's compute.disabled-* keys.
   */
  disabledPlugins: { engine: string[]; storage: string[]; publisher: string[] }
  /**
   * Hosts `urlDownload`/`s3PreSigned` inputs may fetch although loopback or private
   * (`?allow-url-host=127.0.0.1`, repeatable), as a node's `--allow-url-hosts`.
   */
  allowUrlHosts: string[]
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/** Whether a host name is this machine or a private network, where the dev gater is needed. */
export function isLocalHost(hostname: string): boolean {
  if (LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost')) return true
  return /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.)/.test(hostname)
}

/** `?disk=` as bytes; undefined (the default budget) when absent or not a byte quantity. */
function readDiskBytes(text: string | null): number | undefined {
  if (text === null || text === '') return undefined
  const bytes = tryParseBytes(text)
  return bytes !== undefined && bytes >= 0 ? bytes : undefined
}

/** A list parameter: comma-separated, repeatable, empty items dropped. */
function readList(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Reads the page configuration from `location` and `navigator`. */
export function readPageConfig(location: Location, navigator: Navigator): PageConfig {
  const params = new URLSearchParams(location.search)
  const requester = params.get('requester') ?? location.origin
  const requesterHost = requester.startsWith('/') ? multiaddrHost(requester) : safeHostname(requester)
  const maxWorkers = Math.max(1, navigator.hardwareConcurrency || 1)
  const asked = Number.parseInt(params.get('workers') ?? '', 10)
  const workers = Number.isFinite(asked) && asked > 0 ? Math.min(asked, maxWorkers) : Math.max(1, Math.floor(maxWorkers / 2))
  return {
    requester,
    dev: params.get('dev') === '1' || (requesterHost !== undefined && isLocalHost(requesterHost)),
    iceServers: params.getAll('ice').map((urls) => ({ urls })),
    workers,
    maxWorkers,
    startPaused: params.get('paused') === '1',
    diskBytes: readDiskBytes(params.get('disk')),
    disabledPlugins: {
      engine: readList(params, 'disabled-engines'),
      storage: readList(params, 'disabled-input-sources'),
      publisher: readList(params, 'disabled-publishers'),
    },
    allowUrlHosts: params.getAll('allow-url-host').filter((host) => host !== ''),
    labels: Object.fromEntries(
      params
        .getAll('label')
        .map((pair) => pair.split('='))
        .filter(([key, value]) => key && value !== undefined && key !== 'runtime')
        .map(([key, ...rest]) => [key, rest.join('=')]),
    ),
  }
}

function safeHostname(url: string): string | undefined {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}

function multiaddrHost(address: string): string | undefined {
  const match = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)/.exec(address)
  return match?.[2]
}
