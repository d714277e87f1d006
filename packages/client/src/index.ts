/**
 * @shoal/client — a fetch-based client of the Bacalhau-compatible REST API that Shoal's
 * requester serves. `createClient({ baseUrl })`, then one typed method per endpoint.
 */
export { createClient } from './client.ts'
export type { ClientOptions, RequesterEvent, ShoalClient } from './client.ts'
export { ApiError, LogStreamError, isApiErrorBody } from './api-error.ts'
export { readLines } from './ndjson.ts'
export { waitForJobWith } from './job-wait.ts'
export type { JobWaitCalls, WaitForJobOptions, WaitJobOptions, WaitJobResponse } from './job-wait.ts'
export { readServerSentEvents } from './server-sent-events.ts'
export type { ServerSentEvent } from './server-sent-events.ts'
export type * from './api-types.ts'
