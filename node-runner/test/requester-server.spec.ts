/**
 * The requester as `shoal serve` runs it (startRequesterServer on 127.0.0.1, any free port): what
 * an API client sees from the real HTTP server, not only from the API app in-process.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '@shoal/interface'
import { startRequesterServer, type RequesterServer } from '../src/serve/requester-server.ts'

let server: RequesterServer
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'shoal-requester-server-'))
  server = await startRequesterServer({ dataDir, host: '127.0.0.1', port: 0, logger: silentLogger })
})

afterAll(async () => {
  await server?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe('REST API on the real server', () => {
  it('answers an unknown /api/v1 path with the JSON NotFound error body', async () => {
    const res = await fetch(`${server.url}/api/v1/orchestrator/nope`, { headers: { 'X-Request-ID': 'req-404' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toMatchObject({ Status: 404, Code: 'NotFound', RequestID: 'req-404', Component: 'APIServer' })
  })

  it('answers a wrong method on a real route with 405, an Allow header and the JSON error body', async () => {
    const res = await fetch(`${server.url}/api/v1/orchestrator/nodes`, { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
    expect(await res.json()).toMatchObject({ Status: 405, Code: 'MethodNotAllowed' })
  })

  it('answers TRACE (which fetch cannot send) with 405 and the JSON error body, not a text/plain 500', async () => {
    for (const path of ['/api/v1/agent/alive', '/api/v1/orchestrator/jobs']) {
      const res = await rawRequest(server.url, 'TRACE', path)
      expect(res.status, path).toBe(405)
      expect(res.headers['content-type'], path).toMatch(/^application\/json/)
      expect(res.headers['allow'], path).toMatch(/GET/)
      expect(JSON.parse(res.body), path).toMatchObject({ Status: 405, Code: 'MethodNotAllowed', Message: `TRACE is not allowed on ${path}` })
    }
    // This server serves no pages, so elsewhere TRACE finds nothing, as any method does.
    const elsewhere = await rawRequest(server.url, 'TRACE', '/')
    expect(elsewhere.status).toBe(404)
    expect(JSON.parse(elsewhere.body)).toMatchObject({ Status: 404, Code: 'NotFound' })
  })

  it('answers a path with a bad %-escape with 400 and the JSON error body', async () => {
    for (const path of ['/api/v1/orchestrator/jobs/%zz', '/%E0%A4%A']) {
      const res = await fetch(`${server.url}${path}`)
      expect(res.status, path).toBe(400)
      expect(await res.json(), path).toMatchObject({ Status: 400, Code: 'BadRequest' })
    }
  })

  it('still serves the API and the peers route', async () => {
    const alive = await fetch(`${server.url}/api/v1/agent/alive`)
    expect(await alive.json()).toEqual({ Status: 'OK' })
    const peers = await fetch(`${server.url}/api/v1/shoal/peers`)
    expect((await peers.json()).Multiaddrs.length).toBeGreaterThan(0)
  })
})

/** Sends a request with node:http, which (unlike fetch) may use any method. */
function rawRequest(url: string, method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the pages: the dashboard at / and its routes, the contribute page at /contribute', () => {
  it('before the pages are built, / says what to run (a 503 HTML page, not a bare 404), and serves them once built, without a restart', async () => {
    const webRoot = await mkdtemp(join(tmpdir(), 'shoal-web-root-'))
    const pageDataDir = await mkdtemp(join(tmpdir(), 'shoal-requester-page-'))
    const withPage = await startRequesterServer({ dataDir: pageDataDir, host: '127.0.0.1', port: 0, webRoot, webCheckoutDir: '/src/shoal/', logger: silentLogger })
    try {
      const before = await fetch(`${withPage.url}/`)
      expect(before.status).toBe(503)
      expect(before.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const text = await before.text()
      expect(text).toContain('<pre>cd /src/shoal &amp;&amp; npm run build:web</pre>')
      expect(text).toContain('<meta http-equiv="refresh" content="5">')
      // Any page route, not only /, gets the same explanation.
      expect((await fetch(`${withPage.url}/some/page`)).status).toBe(503)
      // The API is unaffected.
      expect(await (await fetch(`${withPage.url}/api/v1/agent/alive`)).json()).toEqual({ Status: 'OK' })

      // A build from before the dashboard (the contribute page only) is not a build of both pages.
      await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>contribute</title>')
      expect((await fetch(`${withPage.url}/`)).status).toBe(503)
      await writeFile(join(webRoot, 'dashboard.html'), '<!doctype html><title>dashboard</title>')
      const after = await fetch(`${withPage.url}/`)
      expect(after.status).toBe(200)
      expect(await after.text()).toBe('<!doctype html><title>dashboard</title>')
      expect(await (await fetch(`${withPage.url}/contribute`)).text()).toBe('<!doctype html><title>contribute</title>')
      // Deep links get the dashboard; a path that names nothing is a 404.
      expect(await (await fetch(`${withPage.url}/jobs/j-123`)).text()).toBe('<!doctype html><title>dashboard</title>')
      expect((await fetch(`${withPage.url}/some/page`)).status).toBe(404)
    } finally {
      await withPage.stop()
      await rm(webRoot, { recursive: true, force: true })
      await rm(pageDataDir, { recursive: true, force: true })
    }
  })
})

/** Opens a WebSocket and collects its messages until it closes (or fails to open). */
function collectWebSocket(url: string): Promise<{ opened: boolean; messages: string[]; code?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url)
    const messages: string[] = []
    let opened = false
    socket.addEventListener('open', () => (opened = true))
    socket.addEventListener('message', (event) => messages.push(String(event.data)))
    socket.addEventListener('error', () => {
      if (!opened) resolve({ opened, messages })
    })
    socket.addEventListener('close', (event) => resolve({ opened, messages, code: event.code }))
  })
}

describe('logs WebSocket on the real server', () => {
  it('upgrades and reports an unknown job in an error frame, then closes normally', async () => {
    const ws = server.url.replace('http:', 'ws:')
    const result = await collectWebSocket(`${ws}/api/v1/orchestrator/jobs/j-nope/logs`)
    expect(result.opened).toBe(true)
    expect(result.messages).toHaveLength(1)
    expect(JSON.parse(result.messages[0])).toMatchObject({ value: null, error: expect.stringMatching(/j-nope/) })
    expect(result.code).toBe(1000)
  })

  it('upgrades and reports bad query parameters in an error frame, as Bacalhau does', async () => {
    const ws = server.url.replace('http:', 'ws:')
    const result = await collectWebSocket(`${ws}/api/v1/orchestrator/jobs/j-nope/logs?follow=maybe`)
    expect(result.opened).toBe(true)
    expect(JSON.parse(result.messages[0]).error).toMatch(/follow="maybe" is not a boolean/)
    expect(result.code).toBe(1000)
  })
})
