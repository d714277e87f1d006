/** The OpenAPI 3.1 document, built from the same route table that registers the routes. */
import { routeScope } from './api-route.ts'
import type { ApiRoute } from './api-route.ts'
import { OPENAPI_SCHEMAS } from './openapi-schemas.ts'

/** `/jobs/:id` → `/jobs/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, '{$1}')
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
})

/** The OpenAPI document of `routes`. */
export function buildOpenApiDocument(routes: ApiRoute[], info: { version: string; authEnabled: boolean }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = toOpenApiPath(route.path)
    const pathParams = [...route.path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    const queryParams = (route.query ?? []).map((q) => ({
      name: q.name,
      in: 'query',
      required: false,
      description: q.description,
      schema: q.repeated
        ? { type: 'array', items: { type: q.type } }
        : { type: q.type, ...(q.enum ? { enum: [...q.enum] } : {}) },
      ...(q.repeated ? { style: 'form', explode: true } : {}),
    }))
    const schema = { $ref: `#/components/schemas/${route.response}` }
    const content: Record<string, unknown> = { 'application/json': { schema } }
    for (const mediaType of route.responseMediaTypes ?? []) content[mediaType] = { schema }
    const responses: Record<string, unknown> = {
      '200': { description: 'OK', content },
      '400': errorResponse('Malformed request or invalid spec'),
      '404': errorResponse('Unknown job, node or route'),
      '500': errorResponse('Internal error'),
    }
    if (route.websocket) responses['101'] = { description: 'Switching Protocols to WebSocket; each message is a LogFrame' }
    if (route.requestBody) responses['413'] = errorResponse('Request body larger than the server cap')
    const scope = routeScope(route)
    if (info.authEnabled && scope !== 'public') {
      responses['401'] = errorResponse('Missing or unknown bearer token')
      responses['403'] = errorResponse(`Token lacks the ${scope} scope`)
    }
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      parameters: [...pathParams, ...queryParams],
      ...(route.requestBody
        ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.requestBody}` } } } } }
        : {}),
      responses,
      ...(info.authEnabled && scope !== 'public' ? { security: [{ bearer: [scope] }], 'x-required-scope': scope } : {}),
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shoal requester API (Bacalhau-compatible)',
      version: info.version,
      description: 'The Bacalhau v1 REST API as Shoal serves it. Errors share one body: {Status, Message, RequestID, Code, Component, Hint}.',
    },
    paths,
    components: {
      schemas: OPENAPI_SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  }
}
