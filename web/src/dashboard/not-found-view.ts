/** The page for a path that names nothing (the server answered it with status 404). */
import { h } from './dom.ts'
import type { View } from './view.ts'

/** The not-found view. */
export const notFoundView: View = (context, _params, url) => {
  context.setTitle('Page not found')
  return h(
    'section',
    { class: 'card' },
    h('h1', {}, 'Page not found'),
    h('p', {}, 'Nothing lives at ', h('code', {}, url.pathname), '. It may have been mistyped, or it names a page this requester does not have.'),
    h('p', {}, 'Try ', h('a', { href: '/jobs' }, 'the jobs'), ', ', h('a', { href: '/nodes' }, 'the nodes'), ' or ', h('a', { href: '/' }, 'the start page'), '.'),
  )
}
