import { ValidationError, type InputSource, type LabelSelectorRequirement, type ResultPath, type SpecConfig } from '@shoal/models'

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//

/** Splits one CSV record (Bacalhau's flag syntax), honouring double quotes. */
export function splitCsv(value: string): string[] {
  const fields: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        current += '"'
        i++
      } else if (ch === '"') quoted = false
      else current += ch
    } else if (ch === '"' && current === '') quoted = true
    else if (ch === ',') {
      fields.push(current)
      current = ''
    } else current += ch
  }
  fields.push(current)
  return fields
}

function invalid(flag: string, message: string): ValidationError {
  return new ValidationError([{ path: flag, message }])
}

/**
 * The source of a storage URI: `ipfs://CID` → ipfs, `http(s)://…` → urlDownload,
 * `s3://bucket/key` → s3, `file://host/path` → local. Options are `opt=key=value` extras.
 */
export function storageSourceFromUri(uri: string, options: Record<string, string> = {}, flag = '--input'): SpecConfig {
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase()
  const rest = scheme ? uri.slice(scheme.length + 3) : ''
  switch (scheme) {
    case 'ipfs': {
      const cid = rest.replace(/\/+$/, '')
      if (!cid || cid.includes('/')) throw invalid(flag, `"${uri}" is not ipfs://CID`)
      return { Type: 'ipfs', Params: { CID: cid } }
    }
    case 'http':
    case 'https':
      try {
        new URL(uri)
      } catch {
        throw invalid(flag, `"${uri}" is not a valid URL`)
      }
      return { Type: 'urlDownload', Params: { URL: uri } }
    case 's3': {
      const slash = rest.indexOf('/')
      const bucket = slash === -1 ? rest : rest.slice(0, slash)
      const key = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+/, '')
      if (!bucket) throw invalid(flag, `"${uri}" has no bucket; use s3://bucket/key`)
      const params: Record<string, unknown> = { Bucket: bucket, Key: key }
      const names: Record<string, string> = {
        endpoint: 'Endpoint',
        region: 'Region',
        versionid: 'VersionID',
        'version-id': 'VersionID',
        version_id: 'VersionID',
        'checksum-256': 'ChecksumSHA256',
        checksum256: 'ChecksumSHA256',
        checksum_256: 'ChecksumSHA256',
        filter: 'Filter',
      }
      for (const [k, v] of Object.entries(options)) {
        const name = names[k.toLowerCase()]
        if (!name) throw invalid(flag, `unknown option "${k}" for s3; known: endpoint, region, version-id, checksum-256, filter`)
        params[name] = v
      }
      return { Type: 's3', Params: params }
    }
    case 'file': {
      // file://host/path keeps Bacalhau's reading: host and path joined (file:///abs works too).
      const sourcePath = `/${rest.replace(/^\/+/, '')}`
      let readWrite = false
      for (const [k, v] of Object.entries(options)) {
        if (!['rw', 'read-write', 'read_write', 'readwrite'].includes(k.toLowerCase())) throw invalid(flag, `unknown option "${k}" for file://; known: rw=true|false`)
        if (!/^(true|false|1|0)$/i.test(v)) throw invalid(flag, `rw must be true or false, not "${v}"`)
        readWrite = /^(true|1)$/i.test(v)
      }
      if (sourcePath === '/') throw invalid(flag, `"${uri}" has no path; use file:///absolute/path`)
      return { Type: 'local', Params: { SourcePath: sourcePath, ReadWrite: readWrite } }
    }
    default:
      throw invalid(flag, scheme ? `unsupported storage scheme "${scheme}://" in "${uri}"; use ipfs://, http(s)://, s3:// or file://` : `"${uri}" is not a URI; use ipfs://, http(s)://, s3:// or file://`)
  }
}

/**
 * Parses an --input value: `URI[:TARGET]` or `src=URI,dst=PATH[,opt=key=value…]`
 * (Bacalhau's syntax); the target defaults to `defaultTarget`.
 */
export function parseInputSpec(value: string, defaultTarget = '/inputs', flag = '--input'): InputSource {
  let source = ''
  let target = defaultTarget
  const options: Record<string, string> = {}
  const fields = splitCsv(value)
  for (const [index, field] of fields.entries()) {
    const eq = field.indexOf('=')
    const key = eq === -1 ? '' : field.slice(0, eq).toLowerCase()
    if (eq === -1 || !['src', 'source', 'dst', 'target', 'destination', 'opt', 'option'].includes(key)) {
      if (index !== 0) throw invalid(flag, `"${field}" in "${value}" must be key=value (src=, dst=, opt=)`)
      const scheme = SCHEME.exec(field)?.[0] ?? ''
      const body = field.slice(scheme.length)
      const colon = body.lastIndexOf(':')
      // http://host:8080/f.txt has no target: a colon before the first "/" followed by digits is a port.
      const isPort = scheme !== '' && !body.slice(0, colon).includes('/') && /^\d+(\/|$)/.test(body.slice(colon + 1))
      if (colon === -1 || isPort) source = field
      else {
        source = scheme + body.slice(0, colon)
        target = body.slice(colon + 1)
      }
      continue
    }
    const val = field.slice(eq + 1)
    if (key === 'src' || key === 'source') source = val
    else if (key === 'dst' || key === 'target' || key === 'destination') target = val
    else {
      const inner = val.indexOf('=')
      if (inner > 0) options[val.slice(0, inner)] = val.slice(inner + 1)
      else throw invalid(flag, `opt=${val} must be opt=key=value`)
    }
  }
  source = source.trim().replace(/^['"]|['"]$/g, '')
  if (!source) throw invalid(flag, `"${value}" has no source; use src=URI,dst=PATH`)
  // A relative target is mounted relative to / (as Bacalhau); ".." would climb out of the job's filesystem.
  target = target.trim()
  if (target === '') throw invalid(flag, `"${value}" has an empty target; use URI:/path or dst=/path`)
  if (target.split('/').includes('..')) throw invalid(flag, `target "${target}" must not contain ".."`)
  return { Source: storageSourceFromUri(source, options, flag), Alias: source, Target: target }
}

/** Parses a --publisher value: local | ipfs | noop | s3://bucket/key[,opt=k=v…]. */
export function parsePublisherSpec(value: string, flag = '--publisher'): SpecConfig {
  const [first, ...rest] = splitCsv(value)
  const options: Record<string, string> = {}
  for (const field of rest) {
    const match = /^(?:opt|option)=([^=]+)=(.*)$/i.exec(field)
    if (!match) throw invalid(flag, `"${field}" must be opt=key=value`)
    options[match[1]] = match[2]
  }
  const scheme = (SCHEME.exec(first)?.[1] ?? first).toLowerCase()
  switch (scheme) {
    case 'local':
    case 'ipfs':
    case 'noop':
      if (rest.length > 0) throw invalid(flag, `the ${scheme} publisher takes no options`)
      return { Type: scheme, Params: {} }
    case 's3': {
      const body = first.replace(SCHEME, '')
      const slash = body.indexOf('/')
      const params: Record<string, unknown> = {
        Bucket: options.bucket ?? (slash === -1 ? body : body.slice(0, slash)),
        Key: options.key ?? (slash === -1 ? '' : body.slice(slash + 1)),
      }
      for (const [k, v] of Object.entries(options)) if (k !== 'bucket' && k !== 'key') params[k.charAt(0).toUpperCase() + k.slice(1)] = v
      if (!params.Bucket) throw invalid(flag, `"${value}" has no bucket; use s3://bucket/key`)
      return { Type: 's3', Params: params }
    }
    default:
      throw invalid(flag, `unknown publisher "${first}"; use local, ipfs, s3://bucket/key or noop`)
  }
}

/** Parses an --output value `name:path` (path absolute). */
export function parseResultPath(value: string, flag = '--output'): ResultPath {
  const colon = value.indexOf(':')
  if (colon <= 0 || colon === value.length - 1) throw invalid(flag, `"${value}" must be name:/absolute/path`)
  const path = value.slice(colon + 1)
  if (!path.startsWith('/')) throw invalid(flag, `"${value}": the path must be absolute`)
  return { Name: value.slice(0, colon), Path: path }
}

/** Splits a selector on the commas between requirements (not those inside `in (a,b)`). */
export function splitSelector(value: string): string[] {
  return (value.match(/[^,(]+(?:\([^)]*\))?[^,]*/g) ?? []).map((p) => p.trim()).filter((p) => p !== '')
}

/**
 * Parses a --constraints selector: comma-separated `key=value`, `key==value`, `key!=value`,
 * `key in (a,b)`, `key notin (a,b)`, `key`, `!key`, `key>n`, `key<n`.
 */
export function parseConstraints(value: string, flag = '--constraints'): LabelSelectorRequirement[] {
  const out: LabelSelectorRequirement[] = []
  for (const raw of splitSelector(value)) {
    let m: RegExpExecArray | null
    if ((m = /^([^\s!=<>]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw))) {
      out.push({ Key: m[1], Operator: m[2], Values: m[3].split(',').map((v) => v.trim()).filter((v) => v !== '') })
    } else if ((m = /^([^\s!=<>]+)\s*(==|!=|=|>|<)\s*(.*)$/.exec(raw))) {
      const op = m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : m[2]
      out.push({ Key: m[1], Operator: op, Values: [m[3]] })
    } else if ((m = /^!\s*([^\s!=<>]+)$/.exec(raw))) {
      out.push({ Key: m[1], Operator: '!', Values: [] })
    } else if ((m = /^([^\s!=<>]+)$/.exec(raw))) {
      out.push({ Key: m[1], Operator: 'exists', Values: [] })
    } else {
      throw invalid(flag, `cannot read "${raw}"; use key=value, key!=value, key in (a,b), key or !key`)
    }
  }
  return out
}

/** Parses -l/--labels values (`k=v` or bare `k`, repeatable or comma-separated). */
export function parseLabels(values: readonly string[], flag = '--labels'): Record<string, string> {
  const labels: Record<string, string> = {}
  const valid = /^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/
  for (const value of values) {
    for (const item of value.split(',')) {
      if (item === '') continue
      const eq = item.indexOf('=')
      const key = eq === -1 ? item : item.slice(0, eq)
      const val = eq === -1 ? '' : item.slice(eq + 1)
      if (key === '' || !valid.test(key)) throw invalid(flag, `label key "${key}" must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit`)
      if (!valid.test(val)) throw invalid(flag, `label value "${val}" of "${key}" must be empty or letters, digits, '-', '_' or '.', starting and ending with a letter or digit`)
      labels[key] = val
    }
  }
  return labels
}
