import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { listen } from '../net/listen.ts'

/** A running result server. */
export interface ResultServer {
  /** e.g. http://127.0.0.1:6001 */
  readonly url: string
  stop(): Promise<void>
}

const NAME = /^\/results\/(e-[A-Za-z0-9-]+\.tar\.gz)$/

/**
 * Serves the local publisher's archives (`GET /results/<executionId>.tar.gz`) from `directory`.
 * Only archive names are served, so nothing else in the data dir is reachable.
 */
export async function startResultServer(options: { directory: string; host: string; port: number; advertiseHost?: string }): Promise<ResultServer> {
  const server: Server = createServer(async (req, res) => {
    const match = req.method === 'GET' || req.method === 'HEAD' ? NAME.exec(req.url ?? '') : null
    if (match === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
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
