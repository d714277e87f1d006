/** Builds the app over a service and sends requests to it in-process with app.request(). */
import { createRequesterApp } from '../../../src/api/index.ts'
import type { RequesterAppOptions } from '../../../src/api/index.ts'
import type { RequesterService } from '../../../src/requester-service.ts'
import { FakeRequesterService } from './fake-requester-service.ts'

/** A request helper bound to one app. */
export interface ApiHarness<S extends RequesterService = FakeRequesterService> {
  app: ReturnType<typeof createRequesterApp>
  service: S
  /** Sends a request; a non-string `body` is sent as JSON. */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>
  /** Sends a request and parses the JSON answer. */
  json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>
}

/** An app over `service` (a fresh FakeRequesterService by default). */
export function createHarness<S extends RequesterService = FakeRequesterService>(
  options: Partial<RequesterAppOptions> & { service?: S } = {},
): ApiHarness<S> {
  const service = (options.service ?? new FakeRequesterService()) as S
  const app = createRequesterApp({ ...options, service })
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      ;(init.headers as Record<string, string>)['Content-Type'] ??= 'application/json'
    }
    return Promise.resolve(app.request(path, init))
  }
  return {
    app,
    service,
    send,
    async json(method, path, body, headers) {
      const response = await send(method, path, body, headers)
      return { status: response.status, body: await response.json(), headers: response.headers }
    },
  }
}
