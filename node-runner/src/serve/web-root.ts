import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The built contribute page (web/dist) when it exists, else undefined. */
export function defaultWebRoot(): string | undefined {
  const dir = fileURLToPath(new URL('../../../web/dist/', import.meta.url))
  return existsSync(`${dir}index.html`) ? dir : undefined
}
