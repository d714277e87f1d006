import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { parse as parseYaml, stringify as toYaml } from 'yaml'
import { BadRequestError, ValidationError } from '@shoal/models'

/** Where a configuration value came from, lowest precedence first. */
export const CONFIG_SOURCES = ['default', 'file', 'env', 'flag'] as const
/** Where a configuration value came from. */
export type ConfigSource = (typeof CONFIG_SOURCES)[number]

/** One configuration key the CLI understands. */
export interface ConfigKeySpec {
  description: string
  /** Environment variables that set it, first one found wins. */
  env: string[]
  default?: string
  /** Printed masked by `config list`. */
  secret?: boolean
  validate?: (value: string) => string | undefined
}

const validPort = (value: string): string | undefined =>
  /^\d+$/.test(value) && Number(value) > 0 && Number(value) < 65536 ? undefined : 'must be a port number between 1 and 65535'
const validUrl = (value: string): string | undefined => {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'must be an http:// or https:// URL'
  } catch {
    return 'must be an http:// or https:// URL'
  }
}

/** The configuration keys, as `config set` and `config list` know them. */
export const CONFIG_KEYS: Readonly<Record<string, ConfigKeySpec>> = Object.freeze({
  'api.host': { description: 'Host of the requester API', env: ['BACALHAU_API_HOST', 'SHOAL_API_HOST'], default: '127.0.0.1' },
  'api.port': { description: 'Port of the requester API', env: ['BACALHAU_API_PORT', 'SHOAL_API_PORT'], default: '1234', validate: validPort },
  'api.url': { description: 'Full URL of the requester API; overrides api.host/api.port from the same or a lower source', env: ['SHOAL_API_URL'], validate: validUrl },
  'api.token': { description: 'Bearer token sent to the requester API', env: ['SHOAL_API_TOKEN'], secret: true },
})

/** A configuration value and where it came from. */
export interface ConfigValue {
  value: string
  source: ConfigSource
}

/** The configuration in effect for one CLI invocation. */
export interface EffectiveConfig {
  /** Every known key that has a value. */
  values: Record<string, ConfigValue>
  /** The requester base URL (no trailing slash) and where it came from. */
  apiUrl: ConfigValue
  /** The API token, if any. */
  apiToken?: ConfigValue
  /** The config file consulted. */
  path: string
}

/** The directory holding Shoal's CLI state: $SHOAL_DIR, else ~/.shoal. */
export function configDirectory(env: Record<string, string | undefined>, home: string): string {
  return env.SHOAL_DIR && env.SHOAL_DIR !== '' ? env.SHOAL_DIR : join(home, '.shoal')
}

/** The config file path: <config directory>/config.yaml. */
export function configFilePath(env: Record<string, string | undefined>, home: string): string {
  return join(configDirectory(env, home), 'config.yaml')
}

function flatten(value: unknown, prefix: string, into: Record<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key.toLowerCase()}` : key.toLowerCase(), into)
  } else if (value !== null && value !== undefined && prefix) {
    into[prefix] = String(value)
  }
}

/** Reads the config file as dotted lower-case keys; a missing file is an empty config. */
export async function readConfigFile(path: string): Promise<Record<string, string>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new BadRequestError(`cannot read the config file ${path}: ${(error as Error).message}`, { cause: error })
  }
  let parsed: unknown
  try {
    parsed = parseYaml(text)
  } catch (error) {
    throw new BadRequestError(`the config file ${path} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
      hint: 'Fix or delete the file, or rewrite a value with `shoal config set KEY VALUE`.',
    })
  }
  const flat: Record<string, string> = {}
  flatten(parsed ?? {}, '', flat)
  return flat
}

/** Checks a key and value for `config set`; throws ValidationError naming the problem. */
export function checkConfigValue(key: string, value: string): string {
  const normalised = key.toLowerCase()
  const spec = CONFIG_KEYS[normalised]
  if (!spec) {
    throw new ValidationError([{ path: key, message: `unknown configuration key; known keys: ${Object.keys(CONFIG_KEYS).join(', ')}` }])
  }
  const problem = spec.validate?.(value)
  if (problem) throw new ValidationError([{ path: normalised, message: problem }])
  return normalised
}

/** Sets one key in the config file (creating it), writing atomically; returns the normalised key. */
export async function writeConfigValue(path: string, key: string, value: string): Promise<string> {
  const normalised = checkConfigValue(key, value)
  const current = await readConfigFile(path)
  current[normalised] = value
  const nested: Record<string, unknown> = {}
  for (const [dotted, v] of Object.entries(current).sort(([a], [b]) => a.localeCompare(b))) {
    const parts = dotted.split('.')
    let node = nested
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>
    node[parts[parts.length - 1]] = v
  }
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, toYaml(nested), { mode: 0o600 })
  await rename(temporary, path)
  return normalised
}

/** Inputs of configuration resolution, highest precedence last. */
export interface ResolveConfigInit {
  file: Record<string, string>
  env: Record<string, string | undefined>
  /** Values given as flags, by config key. */
  flags: Record<string, string | undefined>
  path: string
}

const rank = (source: ConfigSource): number => CONFIG_SOURCES.indexOf(source)

/** Combines default < file < env < flag into the configuration in effect. */
export function resolveConfig(init: ResolveConfigInit): EffectiveConfig {
  const values: Record<string, ConfigValue> = {}
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    let found: ConfigValue | undefined = spec.default === undefined ? undefined : { value: spec.default, source: 'default' }
    const fromFile = init.file[key]
    if (fromFile !== undefined && fromFile !== '') found = { value: fromFile, source: 'file' }
    const envName = spec.env.find((name) => init.env[name] !== undefined && init.env[name] !== '')
    if (envName) found = { value: init.env[envName] as string, source: 'env' }
    const fromFlag = init.flags[key]
    if (fromFlag !== undefined && fromFlag !== '') found = { value: fromFlag, source: 'flag' }
    if (found) values[key] = found
  }
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const problem = values[key] ? spec.validate?.(values[key].value) : undefined
    if (problem) throw new ValidationError([{ path: `${key} (from ${values[key].source})`, message: problem }])
  }
  const host = values['api.host']
  const port = values['api.port']
  const url = values['api.url']
  let apiUrl: ConfigValue
  if (url && rank(url.source) >= Math.max(rank(host.source), rank(port.source))) {
    apiUrl = { value: url.value.replace(/\/+$/, ''), source: url.source }
  } else {
    const hostText = host.value.includes(':') && !host.value.startsWith('[') ? `[${host.value}]` : host.value
    const scheme = /^https?:\/\//.exec(host.value)
    const base = scheme ? host.value.replace(/\/+$/, '') : `http://${hostText}`
    apiUrl = { value: `${base}:${port.value}`, source: rank(host.source) >= rank(port.source) ? host.source : port.source }
  }
  return { values, apiUrl, apiToken: values['api.token'], path: init.path }
}
