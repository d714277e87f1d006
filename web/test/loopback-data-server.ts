/**
 * Global setup of the web-browser tests: an HTTP server on 127.0.0.1 that streams the test
 * pattern (data-pattern.ts), so a tab downloads hundreds of MiB without the test holding them.
 * GET /pattern/<bytes>[/<file name>] answers with Content-Length; ?chunked=1 without it.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { patternBytes } from './data-pattern.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the loopback data server, e.g. http://127.0.0.1:12345. */
    dataServer: string
  }
}

const CHUNK = 1024 * 1024

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const match = /^\/pattern\/(\d+)(\/[^/]+)?$/.exec(url.pathname)
    if (!match) {
      response.writeHead(404).end()
      return
    }
    const total = Number(match[1])
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*' }
    if (url.searchParams.get('chunked') !== '1') headers['content-length'] = String(total)
    response.writeHead(200, headers)
    let offset = 0
    // Writes as fast as the page reads: waits for 'drain' when the socket's buffer is full.
    const pump = () => {
      while (offset < total) {
        const length = Math.min(CHUNK, total - offset)
        const more = response.write(patternBytes(offset, length))
        offset += length
        if (!more) return void response.once('drain', pump)
      }
      response.end()
    }
    pump()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  project.provide('dataServer', `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}
