import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
}

/**
 * Serves a built web directory (the contribute page) for GET requests outside /api; unknown
 * paths fall back to index.html so page routes work. Paths cannot leave `root`.
 */
export function createStaticAssets(root: string): (request: Request) => Promise<Response> {
  const base = normalize(root + sep)
  return async (request) => {
    let path: string
    try {
      path = decodeURIComponent(new URL(request.url).pathname)
    } catch {
      return new Response('the path has an invalid %-escape\n', { status: 400, headers: { 'content-type': 'text/plain' } })
    }
    let file = normalize(join(base, path))
    if (!file.startsWith(base)) return new Response('not found\n', { status: 404 })
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html')
    } catch {
      file = join(base, 'index.html')
    }
    try {
      const body = await readFile(file)
      return new Response(body, { headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' } })
    } catch {
      return new Response('the contribute page is not built: run `npm run build -w web`\n', { status: 404, headers: { 'content-type': 'text/plain' } })
    }
  }
}
