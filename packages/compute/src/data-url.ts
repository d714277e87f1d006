/** A parsed `data:` URL. */
export interface DataUrl {
  /** Media type without parameters, lower-case ("text/plain" when absent). */
  mediaType: string
  /** Parameters after the media type, e.g. ["charset=utf-8", "gzip"]. */
  parameters: string[]
  base64: boolean
  /** The payload, decoded from base64 or percent-encoding (still compressed if it was). */
  data: Uint8Array
}

function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error('the payload is not valid base64')
  const binary = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '='))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function decodePercent(text: string): Uint8Array {
  const encoder = new TextEncoder()
  if (!text.includes('%')) return encoder.encode(text)
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      // Keep non-ASCII characters as their UTF-8 bytes.
      const code = text.codePointAt(i)!
      if (code > 0xffff) i++
      bytes.push(...encoder.encode(String.fromCodePoint(code)))
    }
  }
  return new Uint8Array(bytes)
}

/** Parses a `data:[<mediatype>][;param…][;base64],<payload>` URL; throws an Error saying what is wrong. */
export function parseDataUrl(url: string): DataUrl {
  if (!/^data:/i.test(url)) throw new Error('it does not start with "data:"')
  const comma = url.indexOf(',')
  if (comma < 0) throw new Error('it has no "," between the media type and the payload')
  const header = url.slice(5, comma).split(';').map((part) => part.trim())
  const payload = url.slice(comma + 1)
  const base64 = header.length > 1 && header[header.length - 1].toLowerCase() === 'base64'
  if (base64) header.pop()
  const mediaType = (header.shift() || 'text/plain').toLowerCase()
  const parameters = header.filter((part) => part !== '')
  const data = base64 ? decodeBase64(payload.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))) : decodePercent(payload)
  return { mediaType, parameters, base64, data }
}
