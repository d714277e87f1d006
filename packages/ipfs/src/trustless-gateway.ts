/**
 * A trustless gateway as a Web `(request) => Promise<Response>` handler, for the requester's
 * REST port (any runtime mounts it): `GET /ipfs/<cid>[/path]` answers a file's bytes, a
 * directory's JSON listing, the DAG as a CAR (`?format=car` / `Accept: application/vnd.ipld.car`)
 * or the raw block (`?format=raw` / `Accept: application/vnd.ipld.raw`). Blocks come from the
 * node's blockstore or its peers; a Helia blockstore verifies each against its CID.
 */
import { car, UnixFSPath } from '@helia/car'
import { BadRequestError, NotFoundError, ShoalError, TimeoutError, type ApiErrorBody } from '@shoal/models'
import { concatBytes, systemClock, type Clock } from '@shoal/interface'
import type { Helia } from 'helia'
import { exporter, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import type { PeerLister } from './root-block.ts'
import { iterableStream } from './stream-iterable.ts'
import { readAheadContent } from './read-ahead-content.ts'

/** What the gateway needs of a Helia node (`libp2p` only names the peers asked in a 504). */
export type TrustlessGatewayComponents = Pick<Helia, 'blockstore' | 'getCodec' | 'logger'> & { libp2p?: PeerLister }

/** Options of {@link trustlessGateway}. */
export interface TrustlessGatewayInit {
  /** Longest wait for the blocks a response starts with, in ms, before a 504 (default 60 s). */
  timeoutMs?: number
  clock?: Clock
  /** Request IDs for error bodies when the request has no X-Request-ID (default random UUIDs). */
  generateRequestId?: () => string
}

/** The component name in the gateway's error bodies. */
const COMPONENT = 'IPFSGateway'
const CAR_TYPE = 'application/vnd.ipld.car'
const RAW_TYPE = 'application/vnd.ipld.raw'
const SANE_ID = /^[\w.:@/+=-]{1,200}$/

/** One entry of a directory listing answered as JSON. */
export interface GatewayDirectoryEntry {
  Name: string
  CID: string
  Type: 'file' | 'directory'
  /** Bytes of a file (from the DAG); 0 for a directory. */
  Size: number
}

/** The JSON body of a directory. */
export interface GatewayDirectoryListing {
  CID: string
  Type: 'directory'
  Entries: GatewayDirectoryEntry[]
}

/** The 405 of anything but GET and HEAD. */
class MethodNotAllowedError extends ShoalError {
  override readonly code = 'MethodNotAllowed'
  override readonly status = 405
}

type Format = 'raw' | 'car' | undefined

function requestedFormat(url: URL, accept: string | null): Format {
  const format = url.searchParams.get('format')
  if (format !== null) {
    if (format === 'raw' || format === 'car') return format
    throw new BadRequestError(`format=${format} is not supported`, { hint: 'use format=raw for the block, format=car for the DAG, or no format for the file or directory' })
  }
  if (accept === null) return undefined
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase())
  if (types.includes(CAR_TYPE)) return 'car'
  if (types.includes(RAW_TYPE)) return 'raw'
  return undefined
}

function parsePath(url: URL): { cid: CID; path: string[] } {
  const parts = url.pathname.split('/')
  // ['', 'ipfs', '<cid>', ...path]
  if (parts[1] !== 'ipfs' || parts.length < 3 || parts[2] === '') throw new NotFoundError(`${url.pathname} is not a gateway path`, { hint: 'ask for /ipfs/<cid>[/path]' })
  let cid: CID
  try {
    cid = CID.parse(parts[2]!)
  } catch (err) {
    throw new BadRequestError(`${JSON.stringify(parts[2])} is not a valid CID (${(err as Error).message})`, { hint: 'use a CIDv0 (Qm…) or a base32 CIDv1 (bafy…)' })
  }
  let path: string[]
  try {
    path = parts.slice(3).filter((part) => part !== '').map((part) => decodeURIComponent(part))
  } catch {
    throw new BadRequestError(`${url.pathname} has a malformed percent-encoding`)
  }
  return { cid, path }
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error | undefined)?.name
  return name === 'NotFoundError' || name === 'ERR_NOT_FOUND' || name === 'NoPropError'
}

function errorResponse(error: ShoalError, requestId: string, head: boolean): Response {
  const body: ApiErrorBody = { Status: error.status, Message: error.message, RequestID: requestId, Code: error.code, Component: error.component ?? COMPONENT }
  if (error.hint) body.Hint = error.hint
  return new Response(head ? null : JSON.stringify(body), {
    status: error.status,
    headers: { 'Content-Type': 'application/json', 'X-Request-ID': requestId, 'Cache-Control': 'no-store' },
  })
}

/**
 * The gateway handler. Errors answer the REST API's error body (`Status`, `Message`,
 * `RequestID`, `Code`, `Component`, `Hint`): 400 for a bad CID or format, 404 for a path not in
 * the DAG, 504 when the blocks did not arrive in time.
 */
export function trustlessGateway(components: TrustlessGatewayComponents, init: TrustlessGatewayInit = {}): (request: Request) => Promise<Response> {
  const timeoutMs = init.timeoutMs ?? 60_000
  const clock = init.clock ?? systemClock
  const generateRequestId = init.generateRequestId ?? (() => crypto.randomUUID())
  const carExporter = car(components)

  return async (request) => {
    const incoming = request.headers.get('X-Request-ID')
    const requestId = incoming !== null && SANE_ID.test(incoming) ? incoming : generateRequestId()
    const head = request.method === 'HEAD'
    const timeout = new AbortController()
    const timer = clock.setTimeout(() => timeout.abort(new Error('timed out')), timeoutMs)
    const signal = AbortSignal.any([request.signal, timeout.signal])
    let what = ''
    try {
      if (request.method !== 'GET' && !head) throw new MethodNotAllowedError(`${request.method} is not allowed on the gateway`, { hint: 'use GET or HEAD' })
      const url = new URL(request.url)
      const { cid, path } = parsePath(url)
      const format = requestedFormat(url, request.headers.get('Accept'))
      what = path.length === 0 ? cid.toString() : `${cid}/${path.join('/')}`
      const headers = new Headers({ 'X-Request-ID': requestId, 'X-Ipfs-Path': `/ipfs/${what}`, 'Cache-Control': 'public, max-age=29030400, immutable' })

      if (format === 'car') {
        // The root and path blocks are fetched before answering, so a missing root is a 504,
        // not a truncated 200.
        const target = await resolve(cid, path, components, signal)
        headers.set('Content-Type', `${CAR_TYPE}; version=1`)
        headers.set('Content-Disposition', `attachment; filename="${target.cid}.car"`)
        headers.set('Etag', `"${cid}.car"`)
        const blocks = carExporter.export(cid, { signal: request.signal, traversal: path.length > 0 ? new UnixFSPath(`/${path.join('/')}`) : undefined })
        return new Response(head ? null : iterableStream(blocks), { headers })
      }

      const target = await resolve(cid, path, components, signal)
      if (format === 'raw') {
        const chunks: Uint8Array[] = []
        for await (const chunk of components.blockstore.get(target.cid, { signal })) chunks.push(chunk)
        const block = concatBytes(chunks)
        headers.set('Content-Type', RAW_TYPE)
        headers.set('Content-Length', String(block.byteLength))
        headers.set('Etag', `"${target.cid}.raw"`)
        headers.set('X-Content-Type-Options', 'nosniff')
        return new Response(head ? null : (block as Uint8Array<ArrayBuffer>), { headers })
      }
      if (target.type === 'directory') {
        const listing = await listDirectory(target, components, signal)
        headers.set('Content-Type', 'application/json')
        headers.set('Etag', `"${target.cid}.json"`)
        return new Response(head ? null : JSON.stringify(listing), { headers })
      }
      if (target.type === 'file' || target.type === 'raw' || target.type === 'identity') {
        headers.set('Content-Type', 'application/octet-stream')
        headers.set('Content-Length', String(target.size))
        headers.set('Etag', `"${target.cid}"`)
        // File blocks after the first are fetched as the client reads, under the request's signal only.
        return new Response(head ? null : iterableStream(readAheadContent(target, components.blockstore, { signal: request.signal })), { headers })
      }
      throw new BadRequestError(`${what} is a ${target.type} node, not a UnixFS file or directory`, { hint: 'ask for it with ?format=raw or ?format=car' })
    } catch (err) {
      let error: ShoalError
      if (err instanceof ShoalError) error = err
      else if (timeout.signal.aborted && !request.signal.aborted) {
        const peers = components.libp2p?.getPeers().map(String) ?? []
        error = new TimeoutError(`${what} was not found within ${timeoutMs} ms (${peers.length === 0 ? 'no peers are connected' : `asked ${peers.join(', ')}`})`, {
          component: COMPONENT,
          hint: 'check that a node that has the CID is connected to this one',
        })
      } else if (isNotFound(err)) error = new NotFoundError(`${what} is not in the DAG: ${(err as Error).message}`, { component: COMPONENT, hint: 'check the path below the CID' })
      else if (request.signal.aborted) error = new BadRequestError('the request was aborted', { component: COMPONENT })
      else error = new ShoalError(`reading ${what} failed: ${(err as Error).message}`, { component: COMPONENT })
      return errorResponse(error, requestId, head)
    } finally {
      clock.clearTimeout(timer)
    }
  }
}

async function resolve(cid: CID, path: string[], components: TrustlessGatewayComponents, signal: AbortSignal): Promise<UnixFSEntry> {
  const target = path.length === 0 ? cid : `${cid}/${path.map((part) => part.replaceAll('/', '%2F')).join('/')}`
  return exporter(target, components.blockstore, { signal })
}

async function listDirectory(directory: Extract<UnixFSEntry, { type: 'directory' }>, components: TrustlessGatewayComponents, signal: AbortSignal): Promise<GatewayDirectoryListing> {
  const entries: GatewayDirectoryEntry[] = []
  for await (const child of directory.entries({ signal })) {
    const entry = await exporter(child.cid, components.blockstore, { signal })
    const type = entry.type === 'directory' ? 'directory' : 'file'
    entries.push({ Name: child.name, CID: child.cid.toString(), Type: type, Size: type === 'file' ? Number(entry.size) : 0 })
  }
  entries.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
  return { CID: directory.cid.toString(), Type: 'directory', Entries: entries }
}
