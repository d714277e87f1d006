import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { seededChunks } from './seeded-data.ts'

/** A loopback HTTP server answering GET /<size>/<seed>/<name> with seeded data (see seeded-data.ts). */
export interface SeededDataServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string
  /** The URL of `size` seeded bytes (with `seed`), served under the file name `name`. */
  url(name: string, size: number, seed?: number): string
  close(): Promise<void>
}

/**
 * Starts a server on 127.0.0.1 that streams `/<size>/<seed>/<name>` with a Content-Length, made
 * as it is sent (never held), at the pace the client reads.
 */
export async function startSeededDataServer(): Promise<SeededDataServer> {
  const server = createServer((request, response) => {
    // No query string: `-i URL,dst=…` flags split on commas and "=".
    const match = /^\/(\d+)\/(\d+)\/[^/]+$/.exec(request.url ?? '')
    const size = Number(match?.[1])
    const seed = Number(match?.[2])
    if (request.method !== 'GET' || !match || !Number.isSafeInteger(size)) {
      response.writeHead(400).end('GET /<size>/<seed>/<name>\n')
      return
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) })
    // A client that goes away mid-download ends the pipeline; nothing to report.
    pipeline(Readable.from(seededChunks(size, seed)), response).catch(() => {})
  })
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    url: (name, size, seed = 1) => `${origin}/${size}/${seed}/${encodeURIComponent(name)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
