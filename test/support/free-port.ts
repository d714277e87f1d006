import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'

const HOST = '127.0.0.1'

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    socket.once('error', () => {
      socket.close()
      resolve(false)
    })
    socket.bind(port, HOST, () => socket.close(() => resolve(true)))
  })
}

function anyTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: HOST }, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Options of {@link freePort}. */
export interface FreePortOptions {
  /** How many consecutive ports must be free, from the returned one (default 1). */
  span?: number
  /** Also require the ports to be free for UDP (WebRTC-direct listens on UDP). */
  udp?: boolean
}

// Ports handed out by this process, so two calls never return overlapping ranges.
const handedOut = new Set<number>()

/**
 * A port on 127.0.0.1 that is free right now (with `span`, the first of that many consecutive
 * free ports: `shoal serve --port P` also listens on P+1 for libp2p, over TCP and UDP).
 */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  const span = options.span ?? 1
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await anyTcpPort()
    if (base + span > 65535) continue
    const ports = Array.from({ length: span }, (_, i) => base + i)
    if (ports.some((p) => handedOut.has(p))) continue
    const checks = await Promise.all(ports.flatMap((p) => [tcpFree(p), ...(options.udp ? [udpFree(p)] : [])]))
    if (checks.every(Boolean)) {
      for (const p of ports) handedOut.add(p)
      return base
    }
  }
  throw new Error(`found no ${span} consecutive free port(s) on ${HOST} in 50 attempts`)
}
