import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Where `npm run build:web` writes the contribute page in this checkout (web/dist/). */
export const WEB_DIST_DIR: string = fileURLToPath(new URL('../../../web/dist/', import.meta.url))

/** The checkout the contribute page is built in (where `npm run build:web` runs). */
export const CHECKOUT_DIR: string = fileURLToPath(new URL('../../../', import.meta.url))

/** The built contribute page (web/dist) when it exists, else undefined. */
export function defaultWebRoot(): string | undefined {
  return existsSync(`${WEB_DIST_DIR}index.html`) ? WEB_DIST_DIR : undefined
}
