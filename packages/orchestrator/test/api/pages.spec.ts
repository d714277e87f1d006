/**
 * The requester's web pages: every dashboard route is a real URL (a reload of /jobs/<id> gets the
 * dashboard), /contribute is the contribute page, old `/?label=…` bookmarks reach it, and a path
 * that names nothing is a real 404.
 */
import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers/api-harness.ts'

/** A built web/dist of three files, served by path as node-runner's static assets are. */
const FILES: Record<string, string> = {
  '/dashboard.html': '<title>dashboard</title>',
  '/index.html': '<title>contribute</title>',
  '/assets/app.js': 'console.log(1)',
}
const staticAssets = (request: Request) => {
  const body = FILES[new URL(request.url).pathname]
  return body === undefined ? new Response('missing', { status: 404 }) : new Response(body, { headers: { 'content-type': 'text/html' } })
}

describe('page routes', () => {
  const h = createHarness({ staticAssets })

  it('serves the dashboard at each of its routes, deep links included', async () => {
    for (const path of ['/', '/jobs', '/jobs/', '/jobs/j-0bc6a3f2-1111-2222-3333-444455556666', '/nodes', '/nodes/n-abc', '/submit']) {
      const res = await h.send('GET', path)
      expect(res.status, path).toBe(200)
      expect(await res.text(), path).toBe(FILES['/dashboard.html'])
    }
  })

  it('serves the contribute page at /contribute, with its parameters', async () => {
    const res = await h.send('GET', '/contribute?label=tab=a&workers=2')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(FILES['/index.html'])
  })

  it('sends an old contribute bookmark (/ with its parameters) to /contribute, keeping them', async () => {
    const res = await h.send('GET', '/?label=tab=a&workers=2')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/contribute?label=tab=a&workers=2')
    // Other query strings on / stay on the landing page.
    expect((await h.send('GET', '/?utm=x')).status).toBe(200)
  })

  it('serves asset files by path', async () => {
    const res = await h.send('GET', '/assets/app.js')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(FILES['/assets/app.js'])
  })

  it('answers a path that names nothing with 404: the dashboard (its not-found page) for pages, bare for files', async () => {
    for (const path of ['/nope', '/jobs/a/b', '/contribute/extra']) {
      const res = await h.send('GET', path)
      expect(res.status, path).toBe(404)
      expect(await res.text(), path).toBe(FILES['/dashboard.html'])
    }
    const file = await h.send('GET', '/assets/missing.js')
    expect(file.status).toBe(404)
    expect(await file.text()).toBe('missing')
  })

  it('leaves /api to the API', async () => {
    const { status, body } = await h.json('GET', '/api/v1/jobs')
    expect(status).toBe(404)
    expect(body).toMatchObject({ Code: 'NotFound' })
  })
})
