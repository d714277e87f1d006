/**
 * The web pages a requester serves besides its API: which path shows which built page. Shared by
 * every runtime (Node and the edge serve the same URLs), so a deep link such as /jobs/<id> works
 * on reload everywhere, and a path that names no page gets a real 404.
 */

/** A built page of web/: the dashboard (dashboard.html) or the contribute page (index.html). */
export type WebPage = 'dashboard' | 'contribute'

/** The file of web/dist each page is built into. */
export const PAGE_FILES: Readonly<Record<WebPage, string>> = { dashboard: '/dashboard.html', contribute: '/index.html' }

/** Query parameters the contribute page reads (web/src/page-config.ts): a `/?…` bookmark with any of them meant that page. */
export const CONTRIBUTE_PARAMETERS: readonly string[] = [
  'requester',
  'workers',
  'label',
  'ice',
  'disk',
  'dev',
  'paused',
  'allow-url-host',
  'disabled-engines',
  'disabled-input-sources',
  'disabled-publishers',
]

const DASHBOARD_ROUTES: readonly RegExp[] = [/^\/$/, /^\/jobs\/?$/, /^\/jobs\/[^/]+\/?$/, /^\/nodes\/?$/, /^\/nodes\/[^/]+\/?$/, /^\/submit\/?$/]

/** The page a path shows, or undefined when it names none (an asset file, or nothing: 404). */
export function pageFor(pathname: string): WebPage | undefined {
  if (/^\/contribute\/?$/.test(pathname)) return 'contribute'
  return DASHBOARD_ROUTES.some((route) => route.test(pathname)) ? 'dashboard' : undefined
}

/**
 * Where an old bookmark of the contribute page goes: `/` used to be that page, and its
 * parameters (`/?label=…&workers=2`) still open it, at /contribute. Undefined: no redirect.
 */
export function contributeRedirect(url: URL): string | undefined {
  if (url.pathname !== '/' || url.search === '') return undefined
  const names = [...url.searchParams.keys()]
  return names.some((name) => CONTRIBUTE_PARAMETERS.includes(name)) ? `/contribute${url.search}` : undefined
}

/** Fetches a file of the built web/ by the request's path (404 for a file it does not hold). */
export type AssetFetcher = (request: Request) => Response | Promise<Response>

/**
 * The answer to a GET of a non-API path, the same on every runtime: an old contribute bookmark is
 * redirected, a page route gets its page's file, any other path its file; a miss on a page-like
 * path (no file extension) is a page nobody has, so the dashboard shows its not-found view with a
 * real 404 status, while a missing file (`.js`, `.png`) stays a bare 404.
 */
export async function serveWebPage(request: Request, assets: AssetFetcher): Promise<Response> {
  const url = new URL(request.url)
  const redirect = contributeRedirect(url)
  if (redirect) return new Response(null, { status: 302, headers: { location: redirect } })
  const page = pageFor(url.pathname)
  if (page) return assets(new Request(new URL(PAGE_FILES[page], url), { headers: request.headers }))
  const file = await assets(request)
  if (file.status !== 404 || /\.[a-z0-9]+$/i.test(url.pathname)) return file
  const notFound = await assets(new Request(new URL(PAGE_FILES.dashboard, url), { headers: request.headers }))
  if (!notFound.ok) return file
  return new Response(notFound.body, { status: 404, headers: notFound.headers })
}
