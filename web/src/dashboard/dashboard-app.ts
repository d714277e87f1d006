/**
 * The dashboard: a small client-side router over real URLs (the requester serves the same page
 * at each, see page-routes.ts), the header with live connection state and the token prompt, and
 * the theme switch. Each route is a View that follows the requester's events.
 */
import { h, replace } from './dom.ts'
import { jobView } from './job-view.ts'
import { jobsView } from './jobs-view.ts'
import { landingView } from './landing-view.ts'
import { LiveEvents } from './live-events.ts'
import { nodesView, nodeView } from './nodes-view.ts'
import { notFoundView } from './not-found-view.ts'
import { Session } from './session.ts'
import { submitView } from './submit-view.ts'
import type { View } from './view.ts'

const ROUTES: Array<[RegExp, View]> = [
  [/^\/$/, landingView],
  [/^\/jobs\/?$/, jobsView],
  [/^\/jobs\/([^/]+)\/?$/, jobView],
  [/^\/nodes\/?$/, nodesView],
  [/^\/nodes\/([^/]+)\/?$/, nodeView],
  [/^\/submit\/?$/, submitView],
]

const THEME_KEY = 'shoal.dashboard.theme'

/** Starts the dashboard in `root`. */
export function startDashboard(root: HTMLElement): void {
  const session = new Session(location.origin)
  const live = new LiveEvents(session)
  const main = h('main', { id: 'main', class: 'content', tabindex: -1 })
  const liveBadge = h('span', { class: 'live-status', 'data-bind': 'live', role: 'status' }, 'connecting…')
  const authSlot = h('div', { class: 'auth' })
  let current: AbortController | undefined

  const navigate = (path: string) => {
    history.pushState(null, '', path)
    show()
  }

  const show = () => {
    current?.abort()
    current = new AbortController()
    const url = new URL(location.href)
    let view: View = notFoundView
    let params: string[] = []
    for (const [pattern, candidate] of ROUTES) {
      const match = pattern.exec(url.pathname)
      if (match) {
        view = candidate
        params = match.slice(1)
        break
      }
    }
    for (const link of root.querySelectorAll<HTMLAnchorElement>('nav a')) {
      const here = link.pathname === '/' ? url.pathname === '/' : url.pathname.startsWith(link.pathname)
      if (here) link.setAttribute('aria-current', 'page')
      else link.removeAttribute('aria-current')
    }
    const signal = current.signal
    replace(main, view({ session, live, navigate, signal, setTitle: (title) => (document.title = `${title} · Shoal`) }, params, url))
  }

  // Links inside the dashboard change the view without a reload; /contribute is its own page.
  root.addEventListener('click', (event) => {
    const link = (event.target as Element).closest?.('a')
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    if (link.origin !== location.origin || link.hasAttribute('download') || link.dataset.link === 'external' || link.target) return
    if (link.pathname.startsWith('/api/') || link.pathname.startsWith('/ipfs/') || link.pathname === '/contribute') return
    event.preventDefault()
    navigate(link.pathname + link.search)
    main.focus()
  })
  addEventListener('popstate', show)

  const renderAuth = () => {
    const { abilities } = session
    if (session.needsToken) {
      const input = h('input', { type: 'password', id: 'token', autocomplete: 'off', 'data-bind': 'token', required: true }) as HTMLInputElement
      replace(
        authSlot,
        h(
          'form',
          {
            class: 'token-form',
            onsubmit: (event: Event) => {
              event.preventDefault()
              void session.setToken(input.value.trim()).then(() => {
                live.restart()
                show()
              })
            },
          },
          h('label', { for: 'token' }, 'This requester needs an API token: '),
          input,
          h('button', { type: 'submit', class: 'button small' }, 'Use token'),
        ),
      )
      return
    }
    const missing = [!abilities.write && 'submit, stop or rerun jobs', !abilities.admin && 'approve, reject or delete nodes'].filter(Boolean)
    replace(
      authSlot,
      missing.length > 0 ? h('p', { class: 'notice', 'data-bind': 'read-only' }, `Your token is limited: it cannot ${missing.join(', nor ')}.`) : null,
      session.token ? h('button', { type: 'button', class: 'button small', onclick: () => void session.setToken(undefined).then(() => live.restart()) }, 'Forget token') : null,
    )
  }
  session.addEventListener('change', renderAuth)
  live.addEventListener('status', () => {
    liveBadge.textContent = live.status === 'live' ? 'live' : live.status === 'connecting' ? 'connecting…' : 'offline: reconnecting'
    liveBadge.dataset.status = live.status
  })

  const theme = localStorage.getItem(THEME_KEY)
  if (theme) document.documentElement.dataset.theme = theme
  const themeButton = h(
    'button',
    {
      type: 'button',
      class: 'button small',
      'aria-label': 'Switch between light and dark',
      onclick: () => {
        const dark = document.documentElement.dataset.theme === 'dark' || (!document.documentElement.dataset.theme && matchMedia('(prefers-color-scheme: dark)').matches)
        document.documentElement.dataset.theme = dark ? 'light' : 'dark'
        localStorage.setItem(THEME_KEY, document.documentElement.dataset.theme)
      },
    },
    '◐ Theme',
  )

  replace(
    root,
    h('a', { class: 'skip', href: '#main', 'data-link': 'external' }, 'Skip to content'),
    h(
      'header',
      { class: 'masthead' },
      h('a', { class: 'brand', href: '/', 'aria-label': 'Shoal home' }, h('span', { class: 'brand-dot', 'aria-hidden': 'true' }), h('span', { class: 'brand-name' }, 'Shoal')),
      h(
        'nav',
        { 'aria-label': 'Dashboard' },
        h('a', { href: '/' }, 'Overview'),
        h('a', { href: '/jobs' }, 'Jobs'),
        h('a', { href: '/nodes' }, 'Nodes'),
        h('a', { href: '/submit' }, 'Submit'),
        h('a', { href: '/contribute', 'data-link': 'external' }, 'Contribute'),
      ),
      h('div', { class: 'row' }, liveBadge, themeButton),
    ),
    authSlot,
    main,
  )
  void session.probe().then(renderAuth)
  live.start()
  show()
}

startDashboard(document.getElementById('app')!)
