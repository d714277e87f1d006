/**
 * The requester's Bacalhau-compatible REST API: `createRequesterApp` builds a Hono app over a
 * RequesterService; the route table also produces the OpenAPI document.
 */
export { createRequesterApp, OPENAPI_PATHS } from './requester-app.ts'
export type { RequesterAppOptions } from './requester-app.ts'
export type { ComputeEndpoints } from './api-route.ts'
export type { ApiToken, TokenScope } from './bearer-auth.ts'
export { toErrorBody, API_COMPONENT } from './error-body.ts'
export type { ApiErrorBody } from './error-body.ts'
export { MethodNotAllowedError, NotImplementedError } from './http-errors.ts'
export { encodeLogFrame, encodeLogErrorFrame, NDJSON_MEDIA_TYPE } from './log-frame.ts'
export type { LogFrame } from './log-frame.ts'
export { DEFAULT_MAX_BODY_BYTES } from './json-body.ts'
export { DEFAULT_BUILD_VERSION } from './agent-routes.ts'
export { redactConfig, REDACTED } from './config-redaction.ts'
export type * from './api-types.ts'
export { EVENTS_PATH } from './event-routes.ts'
export type { JobChangeEvent, NodeChangeEvent } from './event-routes.ts'
export { contributeRedirect, pageFor, PAGE_FILES, serveWebPage } from './page-routes.ts'
export type { AssetFetcher, WebPage } from './page-routes.ts'
export { DEFAULT_JOB_WAIT_MS, DEFAULT_MAX_JOB_WAITERS, JOB_WAIT_PATH, MAX_JOB_WAIT_MS, TooManyWaitersError } from './job-wait-route.ts'
export type { WaitJobResponse } from './job-wait-route.ts'
