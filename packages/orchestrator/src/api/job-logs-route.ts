/**
 * GET /api/v1/orchestrator/jobs/:id/logs. Bacalhau streams logs over a WebSocket, one JSON
 * frame per message. Clients without WebSocket support (our CLI, curl) can ask for the same
 * frames as NDJSON, one per line, with `Accept: application/x-ndjson` or `?stream=ndjson`.
 */
import { BadRequestError } from '@shoal/models'
import type { WSContext } from 'hono/ws'
import { pathId, requestUrl } from './api-route.ts'
import type { ApiComponents, ApiRoute } from './api-route.ts'
import { publicMessage } from './error-body.ts'
import { NotImplementedError } from './http-errors.ts'
import { encodeLogErrorFrame, encodeLogFrame, NDJSON_MEDIA_TYPE } from './log-frame.ts'
import { queryBoolean, queryInteger, queryString } from './query-params.ts'
import type { LogsOptions } from '../requester-service.ts'

const NDJSON_HINT = `use a WebSocket, or ask for NDJSON with "Accept: ${NDJSON_MEDIA_TYPE}" or ?stream=ndjson`

/**
 * Bacalhau's `tail=true` means "no history, only new lines" (tail of 0); Shoal also accepts a
 * number of last lines. `tail=false` or absent means the whole history.
 */
function parseTail(url: URL): number | undefined {
  const raw = queryString(url, 'tail')
  if (raw === undefined) return undefined
  if (/^\d+$/.test(raw)) return queryInteger(url, 'tail')
  return queryBoolean(url, 'tail') ? 0 : undefined
}

function parseLogsOptions(url: URL): Omit<LogsOptions, 'signal'> {
  return { executionId: queryString(url, 'execution_id'), tail: parseTail(url), follow: queryBoolean(url, 'follow') }
}

/** Whether the request asks for the NDJSON fallback. */
function wantsNdjson(request: Request, url: URL): boolean {
  const stream = queryString(url, 'stream')
  if (stream !== undefined && stream !== 'ndjson') {
    throw new BadRequestError(`stream=${JSON.stringify(stream)} is not supported`, { hint: NDJSON_HINT })
  }
  return stream === 'ndjson' || (request.headers.get('accept') ?? '').includes(NDJSON_MEDIA_TYPE)
}

/** The logs route. */
export function logsRoute(components: ApiComponents): ApiRoute {
  const { service, logger, upgradeWebSocket } = components
  const store = service.store

  return {
    method: 'GET',
    path: '/api/v1/orchestrator/jobs/:id/logs',
    operationId: 'orchestrator/logs',
    summary: "Streams a job's logs: over a WebSocket, or as NDJSON.",
    description:
      'With a WebSocket upgrade: one text message per frame {"value":{"Type":1|2,"Line":"…"},"error":""} ' +
      '(Type 1 = stdout, 2 = stderr); a failure is sent as {"value":null,"error":"…"} and the socket closes. ' +
      `Without WebSocket: the same frames, one per line, when the request has "Accept: ${NDJSON_MEDIA_TYPE}" or ?stream=ndjson. ` +
      'tail=true: only new lines (as Bacalhau); tail=N: the last N lines; follow=true: keep streaming until the execution ends.',
    tag: 'Orchestrator',
    query: [
      { name: 'namespace', type: 'string', description: 'Namespace of the job' },
      { name: 'execution_id', type: 'string', description: 'Only this execution' },
      { name: 'tail', type: 'string', description: 'true = only new lines; a number = the last N lines' },
      { name: 'follow', type: 'boolean', description: 'Keep streaming until the execution ends' },
      { name: 'stream', type: 'string', description: 'ndjson = the NDJSON fallback', enum: ['ndjson'] },
    ],
    response: 'LogFrame',
    responseMediaTypes: [NDJSON_MEDIA_TYPE],
    websocket: true,
    handler: async (c) => {
      const url = requestUrl(c)
      const idOrName = pathId(c)
      const namespace = queryString(url, 'namespace')
      const requestId = c.get('requestId')

      if ((c.req.header('upgrade') ?? '').toLowerCase() === 'websocket') {
        if (!upgradeWebSocket) {
          throw new NotImplementedError('this server cannot upgrade the logs endpoint to a WebSocket', { hint: NDJSON_HINT })
        }
        const abort = new AbortController()
        // As Bacalhau: the socket opens first and every failure, bad query parameters included,
        // arrives as an error frame before a normal close (a refused handshake tells a client nothing).
        const pump = async (ws: WSContext) => {
          try {
            const options = parseLogsOptions(url)
            const job = await store.getJobByIdOrName(idOrName, namespace)
            for await (const line of service.logs(job.ID, { ...options, signal: abort.signal })) {
              if (abort.signal.aborted) break
              ws.send(encodeLogFrame(line))
            }
          } catch (error) {
            logger.warn('log stream failed', { requestId, error: String(error) })
            if (!abort.signal.aborted) ws.send(encodeLogErrorFrame(publicMessage(error, requestId)))
          } finally {
            if (!abort.signal.aborted) ws.close(1000, '')
          }
        }
        // The helper must call onOpen once the socket is usable (@hono/node-ws does).
        return upgradeWebSocket(c, {
          onOpen: (_event, ws) => void pump(ws),
          onClose: () => abort.abort(),
        })
      }

      const options = parseLogsOptions(url)
      if (!wantsNdjson(c.req.raw, url)) {
        throw new BadRequestError('the logs endpoint streams over a WebSocket or as NDJSON', { hint: NDJSON_HINT })
      }
      // Resolved before streaming so an unknown job is a plain 404 error body.
      const job = await store.getJobByIdOrName(idOrName, namespace)
      const abort = new AbortController()
      c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true })
      const lines = service.logs(job.ID, { ...options, signal: abort.signal })[Symbol.asyncIterator]()
      const encoder = new TextEncoder()
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await lines.next()
            if (next.done) controller.close()
            else controller.enqueue(encoder.encode(encodeLogFrame(next.value) + '\n'))
          } catch (error) {
            logger.warn('log stream failed', { requestId, error: String(error) })
            controller.enqueue(encoder.encode(encodeLogErrorFrame(publicMessage(error, requestId)) + '\n'))
            controller.close()
          }
        },
        async cancel() {
          abort.abort()
          await lines.return?.()
        },
      })
      return c.body(body, 200, { 'Content-Type': NDJSON_MEDIA_TYPE, 'Cache-Control': 'no-store' })
    },
  }
}
