/**
 * The HTTP proxy of a docker task with `Network.Type: HTTP`: the container sits on an internal
 * Docker network whose only way out is this proxy (listening on the network's gateway address),
 * which forwards plain HTTP requests and CONNECT tunnels to the task's Network.Domains only.
 * Upstream does the same with a squid gateway container; this one runs in the compute node.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { lookup } from 'node:dns/promises'
import type { UrlHostPolicy } from '@shoal/compute'

/** Options of {@link startHttpDomainProxy}. */
export interface HttpDomainProxyOptions {
  /** Address to listen on (the internal network's gateway). */
  host: string
  /** Network.Domains: `example.com` matches that host, `.example.com` it and its subdomains. */
  domains: string[]
  /** Refuses loopback/private targets unless allow-listed (compute.allow-url-hosts), after DNS too. */
  policy: UrlHostPolicy
}

/** A running proxy. */
export interface HttpDomainProxy {
  /** `http://host:port`, for http_proxy/https_proxy. */
  readonly url: string
  close(): Promise<void>
}

/** Whether `host` is one of `domains` (squid dstdomain semantics: a leading dot covers subdomains). */
export function domainAllowed(host: string, domains: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return domains.some((entry) => {
    const domain = entry.trim().toLowerCase().replace(/\.$/, '')
    if (domain === '') return false
    if (domain.startsWith('.')) return name === domain.slice(1) || name.endsWith(domain)
    return name === domain
  })
}

/** The address to connect to for `host`, or the reason it is refused. */
async function resolveTarget(host: string, domains: readonly string[], policy: UrlHostPolicy): Promise<{ address: string } | { refused: string }> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (!domainAllowed(bare, domains)) return { refused: `${bare} is not in the job's Network.Domains (${domains.join(', ')})` }
  try {
    const { address } = await lookup(bare, { order: 'ipv4first' })
    policy.checkAddress(bare, address)
    return { address }
  } catch (error) {
    return { refused: (error as Error).message }
  }
}

function refuse(socket: Socket, reason: string): void {
  const body = `shoal: ${reason}\n`
  socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

/** Starts the proxy on `options.host`, a free port. */
export async function startHttpDomainProxy(options: HttpDomainProxyOptions): Promise<HttpDomainProxy> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((request: IncomingMessage, response) => {
    let target: URL
    try {
      target = new URL(request.url ?? '')
      if (target.protocol !== 'http:') throw new Error('not http')
    } catch {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('shoal: send absolute http:// URLs through this proxy, or CONNECT for https\n')
      return
    }
    void resolveTarget(target.hostname, options.domains, options.policy).then((resolved) => {
      if ('refused' in resolved) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end(`shoal: ${resolved.refused}\n`)
        return
      }
      const upstream = httpRequest(
        { host: resolved.address, port: target.port || 80, method: request.method, path: `${target.pathname}${target.search}`, headers: { ...request.headers, host: target.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        },
      )
      upstream.on('error', (error) => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' })
        response.end(`shoal: ${error.message}\n`)
      })
      request.pipe(upstream)
    })
  })
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    const [host, portText] = splitHostPort(request.url ?? '')
    void resolveTarget(host, options.domains, options.policy).then((resolved) => {
      if ('refused' in resolved) return refuse(client, resolved.refused)
      const upstream = connect(Number(portText) || 443, resolved.address, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        if (head.byteLength > 0) upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      sockets.add(upstream)
      upstream.on('close', () => {
        sockets.delete(upstream)
        client.destroy()
      })
      upstream.on('error', (error) => refuse(client, error.message))
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, options.host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** `host:port` or `[v6]:port` of a CONNECT request. */
function splitHostPort(authority: string): [string, string] {
  const colon = authority.lastIndexOf(':')
  if (colon < 0) return [authority, '443']
  return [authority.slice(0, colon), authority.slice(colon + 1)]
}
