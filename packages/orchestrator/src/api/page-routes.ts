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
export const CONTRIBUTE_PARAMETERS: readonly string[] = ['requester', 'workers', 'label', 'ice', 'disk', 'dev', 'paused']

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
