/** The frames of the logs stream, shared by the WebSocket and the NDJSON fallback. */
import type { ExecutionLogLine } from '../requester-service.ts'

/** One frame as Bacalhau's `concurrency.AsyncResult[models.ExecutionLog]` marshals it. */
export interface LogFrame {
  value: { Type: 1 | 2; Line: string } | null
  error: string
}

/** A log line as a frame: `{"value":{"Type":1,"Line":"…"},"error":""}`. */
export function encodeLogFrame(line: Pick<ExecutionLogLine, 'Type' | 'Line'>): string {
  return JSON.stringify({ value: { Type: line.Type, Line: line.Line }, error: '' } satisfies LogFrame)
}

/** A failure of the stream as a frame: `{"value":null,"error":"…"}`; the stream ends after it. */
export function encodeLogErrorFrame(message: string): string {
  return JSON.stringify({ value: null, error: message } satisfies LogFrame)
}

/** Media type of the NDJSON fallback of the logs endpoint. */
export const NDJSON_MEDIA_TYPE = 'application/x-ndjson'
