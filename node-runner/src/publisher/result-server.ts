import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { listen } from '../net/listen.ts'
import type { ResultUrlSigner } from './result-url-signer.ts'

/** A running result server. */
export interface ResultServer {
  /** e.g. http://127.0.0.1:6001 */
  readonly url: string
  stop(): Promise<void>
}

/** Options of startResultServer. */
export interface ResultServerOptions {
  directory: string
  host: string
  port: number
  advertiseHost?: string
  /** Checks the `expires`/`sig` query of every download (see ResultUrlSigner). */
  signer: ResultUrlSigner
}

const NAME = /^\/results\/(e-[A-Za-z0-9-]+\.tar\.gz)$/

/**
 * Serves the local publisher's archives (`GET /results/<executionId>.tar.gz?expires=…&sig=…`)
 * from `directory`. Only archive names are served, so nothing else in the data dir is reachable,
 * and only with a valid, unexpired signature: 403 without one, 410 once it expired.
 */
export async function startResultServer(options: ResultServerOptions): Promise<ResultServer> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://result-server')
    const match = req.method === 'GET' || req.method === 'HEAD' ? NAME.exec(url.pathname) : null
    if (match === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    const check = options.signer.check(match[1], url.searchParams)
    if (check !== 'valid') {
      const [status, text] = check === 'expired' ? [410, 'this result link has expired; get a fresh one with `shoal job get`'] : [403, 'this result link is not signed by this node; use the URL `shoal job get` prints or downloads']
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text + '\n')
      return
    }
    const file = join(options.directory, match[1])
    try {
      const info = await stat(file)
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': info.size })
      if (req.method === 'HEAD') res.end()
      else createReadStream(file).pipe(res)
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no result ${match[1]} on this node\n`)
    }
  })
  const port = await listen(server, options.host, options.port, 'result server')
  const host = options.advertiseHost ?? options.host
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
