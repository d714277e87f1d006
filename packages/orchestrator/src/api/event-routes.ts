/**
 * GET /api/v1/shoal/events: the requester's changes pushed as Server-Sent Events, so the
 * dashboard updates without polling. Shoal's own endpoint (upstream's web UI polls the REST API).
 * Runtime-neutral (Hono's streamSSE over Web streams): the edge serves it as Node does.
 */
import { streamSSE } from 'hono/streaming'
import type { JobStateType, NodeState } from '@shoal/models'
import type { ApiComponents, ApiRoute } from './api-route.ts'

/** Path of the event stream. */
export const EVENTS_PATH = '/api/v1/shoal/events'

/** How often an idle stream sends a comment, so proxies and browsers keep it open. */
export const EVENTS_KEEPALIVE_MS = 15_000

/** Data of a `job` event: a job changed state. */
export interface JobChangeEvent {
  JobID: string
  State: JobStateType
}

/** Data of a `node` event: a node connected, disconnected, changed membership or capacity. */
export interface NodeChangeEvent {
  NodeID: string
  Membership: NodeState['Membership']
  Connection: NodeState['ConnectionState']['Status']
}

/** The event-stream route. */
export function eventRoutes(components: Pick<ApiComponents, 'service'>): ApiRoute[] {
  const { service } = components
  return [
    {
      method: 'GET',
      path: EVENTS_PATH,
      operationId: 'shoal/events',
      summary: 'Job and node changes as Server-Sent Events (text/event-stream).',
      description:
        'Events: `ready` once subscribed, then `job` ({JobID, State}) on every job state change and `node` ({NodeID, Membership, Connection}) on every node change. Read the job or node for the rest.',
      tag: 'Orchestrator',
      response: 'RequesterEvent',
      responseMediaTypes: ['text/event-stream'],
      handler: (c) =>
        streamSSE(c, async (stream) => {
          // Events arrive from the scheduler synchronously; the queue keeps their order while
          // each write awaits the client.
          const pending: Array<{ event: string; data: string }> = []
          let wake: (() => void) | undefined
          const push = (event: string, data: unknown) => {
            pending.push({ event, data: JSON.stringify(data) })
            wake?.()
          }
          const onJob = (event: Event) => {
            const { jobId, state } = (event as CustomEvent<{ jobId: string; state: JobStateType }>).detail
            push('job', { JobID: jobId, State: state } satisfies JobChangeEvent)
          }
          const onNode = (event: Event) => {
            const { nodeId, state } = (event as CustomEvent<{ nodeId: string; state: NodeState }>).detail
            push('node', { NodeID: nodeId, Membership: state.Membership, Connection: state.ConnectionState.Status } satisfies NodeChangeEvent)
          }
          service.addEventListener('job', onJob)
          service.addEventListener('node', onNode)
          const closed = new Promise<void>((resolve) => stream.onAbort(resolve))
          try {
            await stream.writeSSE({ event: 'ready', data: '{}' })
            while (!stream.aborted && !stream.closed) {
              const next = pending.shift()
              if (next) {
                await stream.writeSSE(next)
                continue
              }
              let timer: ReturnType<typeof setTimeout> | undefined
              const keepalive = await Promise.race([
                new Promise<boolean>((resolve) => {
                  wake = () => resolve(false)
                  timer = setTimeout(() => resolve(true), EVENTS_KEEPALIVE_MS)
                }),
                closed.then(() => false),
              ])
              clearTimeout(timer)
              wake = undefined
              if (keepalive) await stream.write(': keepalive\n\n')
            }
          } finally {
            service.removeEventListener('job', onJob)
            service.removeEventListener('node', onNode)
          }
        }),
    },
  ]
}
