import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import type { UrlHostPolicy } from '@shoal/compute'

/** Options of createAddressCheckedFetch. */
export interface AddressCheckedFetchOptions {
  /** Decides which host names and resolved addresses may be connected to. */
  policy: UrlHostPolicy
  /** Name resolution (default node:dns lookup); tests inject one that maps names to loopback. */
  lookup?: typeof dnsLookup
}

/** Statuses whose responses never carry a body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304])

/**
 * A fetch for URL inputs on Node that checks the address a host name resolved to before it
 * connects: a public-looking name pointing at 127.0.0.1, 10.x or 169.254.169.254 is refused
 * (UrlRefusedError) unless the policy allow-lists it. The check runs inside the socket's own
 * lookup, so the address checked is the address connected to (no re-resolution to race).
 * GET/HEAD only, never follows redirects (UrlDownloadStorage follows them itself, checking each
 * hop), and never asks for compressed bodies.
 */
export function createAddressCheckedFetch(options: AddressCheckedFetchOptions): typeof globalThis.fetch {
  const resolve = options.lookup ?? dnsLookup
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${url.protocol} URLs are not fetched`)
    const method = (init.method ?? 'GET').toUpperCase()
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      resolve(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0)
        try {
          // Refuse the host when any of its addresses is refused: the socket may try them all.
          for (const { address } of addresses) options.policy.checkAddress(host, address)
        } catch (refused) {
          return callback(refused as NodeJS.ErrnoException, '', 0)
        }
        if (lookupOptions.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
        else callback(null, addresses[0].address, addresses[0].family)
      })
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise<Response>((resolvePromise, reject) => {
      const request = send(url, { method, lookup, signal: init.signal ?? undefined, headers: { 'accept-encoding': 'identity' } }, (response: IncomingMessage) => {
        const headers = new Headers()
        for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) headers.append(response.rawHeaders[i], response.rawHeaders[i + 1])
        const status = response.statusCode ?? 502
        const empty = NULL_BODY.has(status) || method === 'HEAD'
        if (empty) response.resume()
        const body = empty ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>)
        resolvePromise(new Response(body, { status, statusText: response.statusMessage, headers }))
      })
      request.once('error', (error) => reject(new TypeError(`fetch failed: ${error.message}`, { cause: error })))
      request.end()
    })
  }) as typeof globalThis.fetch
}
