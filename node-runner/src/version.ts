import { readFileSync } from 'node:fs'

/** Shoal's version, from node-runner's package.json. */
export const SHOAL_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
