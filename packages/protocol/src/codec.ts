import { ProtocolError } from '@shoal/models'
import { MessageSchema, PROTOCOL_VERSION, type Message, type OutgoingMessage } from './messages.ts'

/** Largest frame accepted (a job spec with an inline module can be several MiB). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024

/** Fills in the protocol version of an outgoing message. */
export function toMessage(message: OutgoingMessage): Message {
  return { ...message, Version: PROTOCOL_VERSION } as Message
}

/** Validates an already-parsed value as a message; ProtocolError naming the problem otherwise. */
export function decodeMessageValue(value: unknown): Message {
  if (typeof value === 'object' && value !== null && 'Version' in value && (value as { Version: unknown }).Version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `unsupported compute protocol version ${JSON.stringify((value as { Version: unknown }).Version)} (this side speaks ${PROTOCOL_VERSION})`,
      { hint: 'run the same Shoal version on the requester and the compute nodes' },
    )
  }
  const parsed = MessageSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const type = typeof value === 'object' && value !== null ? (value as { Type?: unknown }).Type : undefined
    throw new ProtocolError(
      `malformed ${typeof type === 'string' ? type : 'message'}: ${issue.path.join('.') || '(message)'}: ${issue.message}`,
    )
  }
  return parsed.data
}

/** Encodes a message as one UTF-8 JSON frame. */
export function encodeMessage(message: OutgoingMessage | Message): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ ...message, Version: PROTOCOL_VERSION }))
}

/** Decodes one frame; ProtocolError when it is not valid JSON or not a valid message. */
export function decodeMessage(frame: Uint8Array | string): Message {
  if (typeof frame !== 'string' && frame.byteLength > MAX_FRAME_BYTES) {
    throw new ProtocolError(`frame of ${frame.byteLength} bytes exceeds the ${MAX_FRAME_BYTES} byte limit`)
  }
  let value: unknown
  try {
    value = JSON.parse(typeof frame === 'string' ? frame : new TextDecoder().decode(frame))
  } catch (err) {
    throw new ProtocolError('frame is not valid JSON', { cause: err })
  }
  return decodeMessageValue(value)
}
