import { describe, expect, it } from 'vitest'
import { createConsoleLogger } from '@shoal/interface'
import { ValidationError } from '@shoal/models'
import { toErrorBody } from '../../src/api/error-body.ts'
import { toOpenApiPath } from '../../src/api/openapi.ts'
import { createHarness } from './helpers/api-harness.ts'
import { FakeRequesterService } from './helpers/fake-requester-service.ts'
import { jobSpec } from './helpers/fixtures.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

describe('request IDs', () => {
  it('echoes a sane X-Request-ID and generates one otherwise', async () => {
    const h = createHarness({ generateRequestId: () => 'generated-1' })
    expect((await h.send('GET', '/api/v1/agent/alive', undefined, { 'X-Request-ID': 'abc-123' })).headers.get('x-request-id')).toBe('abc-123')
    expect((await h.send('GET', '/api/v1/agent/alive')).headers.get('x-request-id')).toBe('generated-1')
    expect((await h.send('GET', '/api/v1/agent/alive', undefined, { 'X-Request-ID': 'bad id\u0001' })).headers.get('x-request-id')).toBe(
      'generated-1',
    )
    const err = await h.json('GET', '/api/v1/orchestrator/jobs/j-x', undefined, { 'X-Request-ID': 'trace-9' })
    expect(err.body.RequestID).toBe('trace-9')
    expect(err.headers.get('x-request-id')).toBe('trace-9')
  })
})

describe('errors', () => {
  it("writes Details as Bacalhau's map of strings: a list one key per item, an empty list not at all", () => {
    const issue = [{ path: 'Tasks[0].Engine.Type', message: 'is required' }]
    const empty = toErrorBody(new ValidationError(issue, { details: { warnings: [] } }), 'r-1')
    expect(empty.Details).toEqual({ 'Tasks[0].Engine.Type': 'is required' })
    const listed = toErrorBody(new ValidationError(issue, { details: { warnings: ['unknown field Foo', 'Bar is deprecated'] } }), 'r-2')
    expect(listed.Details).toEqual({
      'Tasks[0].Engine.Type': 'is required',
      'warnings[0]': 'unknown field Foo',
      'warnings[1]': 'Bar is deprecated',
    })
  })

  it('answers unknown routes with 404 in the error body shape', async () => {
    const { status, body } = await createHarness().json('GET', '/api/v1/orchestrator/widgets')
    expect(status).toBe(404)
    expect(Object.keys(body).sort()).toEqual(['Code', 'Component', 'Hint', 'Message', 'RequestID', 'Status'])
    expect(body).toMatchObject({ Status: 404, Code: 'NotFound', Component: 'APIServer' })
  })

  it('answers a wrong method with 405 and an Allow header', async () => {
    const h = createHarness()
    const res = await h.json('PATCH', '/api/v1/orchestrator/jobs/j-1')
    expect(res.status).toBe(405)
    expect(res.body).toMatchObject({ Status: 405, Code: 'MethodNotAllowed' })
    expect(res.headers.get('allow')).toBe('GET, DELETE, HEAD')
    expect((await h.json('DELETE', '/api/v1/agent/alive')).status).toBe(405)
    expect((await h.json('POST', '/api/v1/orchestrator/nodes/n-1')).status).toBe(405)
  })

  it('answers a path with a bad %-escape with 400 in the error body shape, on API and page paths', async () => {
    const h = createHarness({ staticAssets: (req) => new Response(decodeURIComponent(new URL(req.url).pathname)) })
    for (const path of ['/api/v1/orchestrator/jobs/%E0%A4%A', '/api/v1/orchestrator/jobs/%zz/executions', '/%zz', '/page/%E0%A4%A']) {
      const { status, body } = await h.json('GET', path)
      expect(status, path).toBe(400)
      expect(body, path).toMatchObject({ Status: 400, Code: 'BadRequest', Message: `the request path ${path} has an invalid %-escape` })
    }
    expect(await (await h.send('GET', '/page/%C3%A9t%C3%A9')).text()).toBe('/page/été')
  })

  it('answers another method on a page path with 405 and Allow: GET, HEAD when it serves pages', async () => {
    const h = createHarness({ staticAssets: () => new Response('page') })
    const res = await h.json('DELETE', '/contribute')
    expect(res.status).toBe(405)
    expect(res.body).toMatchObject({ Status: 405, Code: 'MethodNotAllowed' })
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })

  it('hides internal errors behind a generic 500 and logs the stack', async () => {
    const logged: string[] = []
    const h = createHarness({ logger: createConsoleLogger({ write: (line) => logged.push(line) }), generateRequestId: () => 'r-500' })
    h.service.listNodesFailure = new Error('SQLITE_CORRUPT at /var/lib/shoal/db')
    const { status, body } = await h.json('GET', '/api/v1/orchestrator/nodes')
    expect(status).toBe(500)
    expect(body).toMatchObject({ Status: 500, Code: 'InternalError', Message: 'Internal server error', RequestID: 'r-500' })
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|var\/lib/)
    expect(logged.join('\n')).toMatch(/SQLITE_CORRUPT[\s\S]*r-500|r-500[\s\S]*SQLITE_CORRUPT/)
  })

  it('answers HEAD like GET without a body', async () => {
    const res = await createHarness().send('HEAD', '/api/v1/agent/alive')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })
})

describe('bearer auth', () => {
  const auth = {
    tokens: [
      { token: 'reader', scopes: ['read' as const] },
      { token: 'writer', scopes: ['read' as const, 'write' as const] },
      { token: 'operator', scopes: ['read' as const, 'admin' as const] },
    ],
  }
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

  it('is off when no tokens are configured', async () => {
    expect((await createHarness().json('GET', '/api/v1/orchestrator/jobs')).status).toBe(200)
  })

  it('needs a known token: 401 with WWW-Authenticate otherwise', async () => {
    const h = createHarness({ auth })
    for (const headers of [{}, bearer('guess'), { Authorization: 'Basic cmVhZGVy' }]) {
      const res = await h.json('GET', '/api/v1/orchestrator/jobs', undefined, headers)
      expect(res.status).toBe(401)
      expect(res.body).toMatchObject({ Status: 401, Code: 'Unauthorized' })
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
    }
  })

  it('lets read tokens GET, needs write for PUT/DELETE (403), and keeps /agent/alive open', async () => {
    const h = createHarness({ auth })
    expect((await h.json('GET', '/api/v1/orchestrator/jobs', undefined, bearer('reader'))).status).toBe(200)
    const denied = await h.json('PUT', '/api/v1/orchestrator/jobs', { Job: {} }, bearer('reader'))
    expect(denied.status).toBe(403)
    expect(denied.body).toMatchObject({ Code: 'Forbidden', Status: 403 })
    expect(h.service.calls).toEqual([])
    expect((await h.json('DELETE', '/api/v1/orchestrator/jobs/j-x', undefined, bearer('reader'))).status).toBe(403)
    expect((await h.json('DELETE', '/api/v1/orchestrator/jobs/j-x', undefined, bearer('writer'))).status).toBe(404)
    expect((await h.json('GET', '/api/v1/agent/alive')).status).toBe(200)
    expect((await h.json('GET', '/api/v1/agent/version')).status).toBe(401)
  })

  it('needs the admin scope to approve, reject or delete a node: write is not enough', async () => {
    const h = createHarness({ auth })
    for (const token of ['reader', 'writer']) {
      const denied = await h.json('PUT', '/api/v1/orchestrator/nodes/n-1', { Action: 'approve' }, bearer(token))
      expect(denied.status).toBe(403)
      expect(denied.body.Message).toContain('lacks the admin scope')
    }
    expect(h.service.calls).toEqual([])
    // Past auth: the fake service knows no node n-1.
    expect((await h.json('PUT', '/api/v1/orchestrator/nodes/n-1', { Action: 'approve' }, bearer('operator'))).status).toBe(404)
  })
})

describe('OpenAPI document', () => {
  it('documents every registered route, at both paths', async () => {
    const h = createHarness()
    const doc = (await h.json('GET', '/api/v1/openapi.json')).body
    expect(doc.openapi).toBe('3.1.0')
    expect((await h.json('GET', '/openapi.json')).body).toEqual(doc)
    const registered = h.app.routes.filter((r) => r.method !== 'ALL')
    expect(registered.length).toBeGreaterThan(18)
    for (const route of registered) {
      const operation = doc.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()]
      expect(operation, `${route.method} ${route.path}`).toBeDefined()
      expect(operation.responses['200'].content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\//)
      const name = operation.responses['200'].content['application/json'].schema.$ref.split('/').pop()
      expect(doc.components.schemas[name], name).toBeDefined()
    }
    expect(doc.paths['/api/v1/orchestrator/jobs/{id}/logs'].get.responses['101']).toBeDefined()
  })

  it('describes the job list order as it is: oldest first', async () => {
    const clock = new ManualClock()
    const h = createHarness({ service: new FakeRequesterService({ clock }) })
    const doc = (await h.json('GET', '/openapi.json')).body
    expect(doc.paths['/api/v1/orchestrator/jobs'].get.summary).toMatch(/oldest first/)
    for (const name of ['first', 'second']) {
      await h.json('PUT', '/api/v1/orchestrator/jobs', { Job: jobSpec({ Name: name }) })
      await clock.advance(1)
    }
    const listed = await h.json('GET', '/api/v1/orchestrator/jobs')
    expect(listed.body.Items.map((j: any) => j.Name)).toEqual(['first', 'second'])
  })

  it('marks the scope each operation needs when auth is on', async () => {
    const doc = (await createHarness({ auth: { tokens: [] } }).json('GET', '/openapi.json')).body
    expect(doc.paths['/api/v1/orchestrator/jobs'].put['x-required-scope']).toBe('write')
    expect(doc.paths['/api/v1/orchestrator/jobs'].get['x-required-scope']).toBe('read')
    expect(doc.paths['/api/v1/orchestrator/nodes/{id}'].put['x-required-scope']).toBe('admin')
    expect(doc.paths['/api/v1/agent/alive'].get.security).toBeUndefined()
  })
})

describe('static assets', () => {
  it('serves non-API GET paths from the injected handler, and leaves /api alone', async () => {
    const h = createHarness({ staticAssets: (req) => new Response(`page ${new URL(req.url).pathname}`) })
    expect(await (await h.send('GET', '/assets/app.js')).text()).toBe('page /assets/app.js')
    expect((await h.json('GET', '/api/v1/nothing')).status).toBe(404)
  })
})
