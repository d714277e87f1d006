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

/** The files a complete build of web/ holds: the contribute page and the dashboard. */
const BUILT_PAGES = ['index.html', 'dashboard.html']

/** Options of createStaticAssets. */
export interface StaticAssetsOptions {
  /** The checkout to name in the page shown while the contribute page is not built. */
  checkoutDir?: string
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The page served in place of the contribute page while it is not built (e.g. right after
 * `npm install`): what to run, and a reload every few seconds so the built page appears by itself.
 */
export function notBuiltPage(options: StaticAssetsOptions = {}): Response {
  const where = options.checkoutDir ? `cd ${escapeHtml(options.checkoutDir.replace(/(.)\/+$/, '$1'))} &amp;&amp; ` : ''
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Shoal: the web pages are not built yet</title>
</head>
<body>
<h1>This Shoal requester is running; its dashboard and contribute page are not built yet</h1>
<p>The dashboard and the page that lets a tab contribute compute are built from <code>web/</code> with Vite. Build them once:</p>
<pre>${where}npm run build:web</pre>
<p>(<code>npm start</code> builds it before starting.) This page reloads every 5 seconds and shows the
page as soon as it is built; no restart is needed. The REST API works meanwhile at
<a href="/api/v1/agent/alive"><code>/api/v1</code></a>.</p>
</body>
</html>
`
  return new Response(body, { status: 503, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' } })
}

/**
 * Serves the files of a built web directory (web/dist) for GET requests outside /api: the file a
 * path names, or 404. Which page a route such as /jobs/<id> shows is decided by the API app
 * (page-routes.ts), which asks for that page's file. Paths cannot leave `root`. While `root` holds
 * no index.html or dashboard.html (not built yet, or built before the dashboard) every miss gets
 * notBuiltPage, never a bare 404; the directory is
 * looked at on each request, so a build made later is served without a restart.
 */
export function createStaticAssets(root: string, options: StaticAssetsOptions = {}): (request: Request) => Promise<Response> {
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
      const body = await readFile(file)
      return new Response(body, { headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' } })
    } catch {
      // Both pages, so a web/dist built before the dashboard existed also says to build again.
      const built = (await Promise.all(BUILT_PAGES.map((page) => stat(join(base, page)).then(() => true, () => false)))).every(Boolean)
      if (!built) return notBuiltPage(options)
      return new Response(`${path} is not here\n`, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
    }
  }
}
