/**
 * validateJob: every rule a submitted job must satisfy — Bacalhau's Job/Task.ValidateSubmission
 * (pkg/models/job.go, task.go, network.go, selector.go, timeout.go, resource.go, env_var.go) plus
 * the params checks its engines, storages and publishers make later, so a bad spec fails at
 * submission with the exact field path instead of on a compute node. All problems are collected.
 */
import { ValidationError } from './errors.ts'
import type { ValidationIssue } from './errors.ts'
import { issuesFromZod, joinPath } from './issue-path.ts'
import {
  canonicalType,
  CONSTRAINT_OPERATORS,
  ENV_RESERVED_PREFIX,
  INPUT_SOURCE_TYPE_ALIASES,
  KNOWN_ENGINE_TYPES,
  KNOWN_INPUT_SOURCE_TYPES,
  KNOWN_PUBLISHER_TYPES,
  META_RESERVED_PREFIX,
  NETWORK_TYPES,
} from './plugin-types.ts'
import { lengthOf, MAX_JOB_COUNT, MAX_LABEL_KEY_LENGTH, MAX_NAME_LENGTH } from './job-limits.ts'
import { resourcesIssues } from './quantities.ts'
import { PARAMS_SCHEMAS } from './spec-params.ts'
import type { SpecKind } from './spec-params.ts'
import { JOB_TYPES } from './states.ts'
import type { InputSource, Job, NetworkConfig, SpecConfig, Task, TimeoutConfig } from './types.ts'

type Report = (path: string, message: string) => void

const list = (values: readonly string[]): string => values.join(', ')
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** Every problem of a job (normalized or not), each with its field path; empty when valid. */
export function validateJob(job: Job): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const report: Report = (path, message) => issues.push({ path, message })
  validateJobFields(job, report)
  job.Tasks.forEach((task, index) => validateTask(task, joinPath('Tasks', index), report))
  return issues
}

/** Throws a ValidationError listing every problem of the job, if it has any. */
export function assertValidJob(job: Job): void {
  const issues = validateJob(job)
  if (issues.length > 0) throw new ValidationError(issues, { hint: 'fix the fields named above and submit the job again' })
}

function validateJobFields(job: Job, report: Report): void {
  if (/\s/.test(job.ID)) report('ID', 'must not contain spaces')
  if (job.ID.includes('\0')) report('ID', 'must not contain null characters')
  if (job.ID.length > MAX_NAME_LENGTH) report('ID', `must be at most ${MAX_NAME_LENGTH} characters (${lengthOf(job.ID)})`)
  if (job.Name.includes('\0')) report('Name', 'must not contain null characters')
  if (job.Name.length > MAX_NAME_LENGTH) report('Name', `must be at most ${MAX_NAME_LENGTH} characters (${lengthOf(job.Name)})`)
  if (job.Namespace.trim() === '') report('Namespace', 'missing namespace: set it or leave it out to use "default"')
  else if (job.Namespace.length > MAX_NAME_LENGTH) report('Namespace', `must be at most ${MAX_NAME_LENGTH} characters (${lengthOf(job.Namespace)})`)

  const typeHint = `use one of ${list(JOB_TYPES)}`
  if (job.Type === ('' as string)) report('Type', `missing job type: ${typeHint}`)
  else if (!(JOB_TYPES as readonly string[]).includes(job.Type)) report('Type', `unknown job type ${JSON.stringify(job.Type)}: ${typeHint}`)

  if (!Number.isInteger(job.Count) || job.Count < 0) report('Count', `must be a whole number >= 0 (have: ${job.Count})`)
  else if (job.Count > MAX_JOB_COUNT) report('Count', `must be at most ${MAX_JOB_COUNT} (have: ${job.Count}); split the work into fewer, larger replicas or several jobs`)
  else if (job.Count > 1 && (job.Type === 'ops' || job.Type === 'daemon')) {
    report('Count', `${job.Type} jobs run on every matching node, so Count cannot be above 1 (have: ${job.Count}); remove Count or use a batch/service job`)
  }

  // More than one task is not an error: sanitizeJobSubmission keeps the first, as Bacalhau does.
  if (job.Tasks.length === 0) report('Tasks', 'missing job tasks: add exactly one task')

  job.Constraints.forEach((constraint, index) => {
    const path = joinPath('Constraints', index)
    const values = constraint.Values ?? []
    if (constraint.Key.trim() === '') report(joinPath(path, 'Key'), 'missing key: name the node label to match')
    else if (constraint.Key.length > MAX_LABEL_KEY_LENGTH) report(joinPath(path, 'Key'), `must be at most ${MAX_LABEL_KEY_LENGTH} characters (${lengthOf(constraint.Key)})`)
    const operator = constraint.Operator
    if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(operator)) {
      report(joinPath(path, 'Operator'), `unknown operator ${JSON.stringify(operator)}: use one of ${list(CONSTRAINT_OPERATORS)}`)
    } else if (operator === 'in' || operator === 'notin') {
      if (values.length === 0) report(joinPath(path, 'Values'), `operator ${operator} needs at least one value`)
    } else if (operator === 'exists' || operator === '!') {
      if (values.length > 0) report(joinPath(path, 'Values'), `operator ${operator} takes no values (have: ${values.length})`)
    } else if (values.length !== 1) {
      report(joinPath(path, 'Values'), `operator ${operator} needs exactly one value (have: ${values.length})`)
    } else if ((operator === 'gt' || operator === 'lt') && !/^[+-]?\d+$/.test(values[0])) {
      report(joinPath(path, 'Values', 0), `operator ${operator} compares integers (have: ${JSON.stringify(values[0])})`)
    }
  })

  for (const key of Object.keys(job.Labels)) {
    // Named by its length, not echoed in the path: the key may be megabytes.
    if (key.length > MAX_LABEL_KEY_LENGTH) report('Labels', `a key must be at most ${MAX_LABEL_KEY_LENGTH} characters (one ${lengthOf(key)})`)
  }

  for (const key of Object.keys(job.Meta)) {
    if (key.startsWith(META_RESERVED_PREFIX)) report(joinPath('Meta', key), `keys starting with ${META_RESERVED_PREFIX} are reserved for the orchestrator: rename it`)
  }
}

function validateTask(task: Task, path: string, report: Report): void {
  if (task.Name.trim() === '') report(joinPath(path, 'Name'), 'missing task name: set Name (e.g. main)')
  if (task.Name.includes('\0')) report(joinPath(path, 'Name'), 'must not contain null characters')
  if (task.Name.length > MAX_NAME_LENGTH) report(joinPath(path, 'Name'), `must be at most ${MAX_NAME_LENGTH} characters (${lengthOf(task.Name)})`)
  validateEnv(task.Env, joinPath(path, 'Env'), report)
  validateEngine(task, path, report)
  validateSpecType(task.Publisher, 'publisher', KNOWN_PUBLISHER_TYPES, joinPath(path, 'Publisher'), report, true)
  validateTimeouts(task.Timeouts, joinPath(path, 'Timeouts'), report)
  for (const issue of resourcesIssues(task.Resources)) report(joinPath(path, 'Resources', issue.path), issue.message)
  validateInputSources(task.InputSources, joinPath(path, 'InputSources'), report)
  validateResultPaths(task, path, report)
  validateNetwork(task.Network, joinPath(path, 'Network'), report)
}

function validateEnv(env: Record<string, string>, path: string, report: Report): void {
  for (const [name, value] of Object.entries(env)) {
    const at = joinPath(path, name)
    if (name === '') report(at, 'environment variable names must not be empty')
    else if (name.toUpperCase().startsWith(ENV_RESERVED_PREFIX)) report(at, `names starting with ${ENV_RESERVED_PREFIX} are reserved for the compute node: rename it`)
    else if (name !== name.toUpperCase()) report(at, `environment variable names must be upper case: use ${name.toUpperCase()}`)
    else if (!/^\p{L}/u.test(name)) report(at, 'environment variable names must start with a letter')
    else if (!/^[\p{L}\p{N}_]+$/u.test(name)) report(at, 'environment variable names may only contain letters, digits and underscores')
    else if (value === '') report(at, 'must not be empty: give a value, or env:HOST_VAR to pass a host variable')
  }
}

/** Checks Type against `known` (after aliases; any non-blank engine type passes) and decodes Params; returns the canonical type if known. */
function validateSpecType(
  spec: SpecConfig,
  what: string,
  known: readonly string[],
  path: string,
  report: Report,
  allowEmpty = false,
): string | undefined {
  const kind: SpecKind = what === 'engine' ? 'engine' : what === 'publisher' ? 'publisher' : 'inputSource'
  if (spec.Type.trim() === '') {
    if (!allowEmpty) report(joinPath(path, 'Type'), `missing ${what} type: use one of ${list(known)}`)
    return undefined
  }
  const aliases = kind === 'inputSource' ? INPUT_SOURCE_TYPE_ALIASES : {}
  const alias = canonicalType(spec.Type, Object.keys(aliases))
  const type = alias !== undefined ? aliases[alias] : canonicalType(spec.Type, known)
  // An engine type no node offers is not a spec error: as in Bacalhau the job is accepted and
  // then fails at scheduling, naming the engines the nodes offer (nodes, not this list, decide).
  if (type === undefined && kind === 'engine') return undefined
  if (type === undefined) {
    report(joinPath(path, 'Type'), `unknown ${what} type ${JSON.stringify(spec.Type)}: use one of ${list(known)}`)
    return undefined
  }
  const schema = PARAMS_SCHEMAS[kind][type]
  if (schema) {
    const result = schema.safeParse(spec.Params, { reportInput: true })
    if (!result.success) for (const issue of issuesFromZod(result.error, joinPath(path, 'Params'))) report(issue.path, issue.message)
  }
  return type
}

/**
 * Where a path lands in a wasm job's filesystem: Bacalhau's mount FS resolves Targets, module
 * paths and ResultPath Names against `/`, so `main.wasm`, `/main.wasm` and `./main.wasm` are one
 * place. Compared in this form.
 */
const mountKey = (path: string): string =>
  path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')

/** Whether a path has a `..` component: it would climb out of where it is resolved, and no runtime mounts it. */
const climbsOut = (path: string): boolean => path.split('/').includes('..')

const climbsOutMessage = (path: string): string => `must not contain ".." (have: ${path}); write the path without it`

/** Whether a module path names an input Target or a file inside one (Bacalhau's wasm mount FS ignores leading slashes). */
function isUnderTarget(modulePath: string, targets: readonly string[]): boolean {
  const key = mountKey(modulePath)
  return targets.some((target) => {
    const base = mountKey(target)
    return base === '' || key === base || key.startsWith(`${base}/`)
  })
}

function validateEngine(task: Task, path: string, report: Report): void {
  const enginePath = joinPath(path, 'Engine')
  const type = validateSpecType(task.Engine, 'engine', KNOWN_ENGINE_TYPES, enginePath, report)
  const params = task.Engine.Params
  const paramsPath = joinPath(enginePath, 'Params')
  if (type === 'wasm') {
    const targets = task.InputSources.map((input) => input.Target).filter((target) => target !== '')
    const inputsPath = joinPath(path, 'InputSources')
    const mustMatch = (modulePath: string, at: string): void => {
      if (climbsOut(modulePath)) return report(at, climbsOutMessage(modulePath))
      if (isUnderTarget(modulePath, targets)) return
      const have = targets.length > 0 ? `have: ${targets.join(', ')}` : `${inputsPath} is empty: add the module as an input source with that Target`
      report(at, `must be the Target of one of ${inputsPath}, or a path inside one (${have})`)
    }
    if (typeof params.EntryModule === 'string' && params.EntryModule !== '') mustMatch(params.EntryModule, joinPath(paramsPath, 'EntryModule'))
    else if (isObject(params.EntryModule)) {
      report(joinPath(paramsPath, 'EntryModule'), 'legacy form (an input source object) must be converted first: parse the spec with parseJobSpec')
    }
    if (Array.isArray(params.ImportModules)) {
      params.ImportModules.forEach((module, index) => {
        if (typeof module === 'string') mustMatch(module, joinPath(paramsPath, 'ImportModules', index))
      })
    }
    // The wasm engine mounts each ResultPath at its Name (as upstream), so it cannot share an input's place.
    task.ResultPaths.forEach((result, index) => {
      const input = task.InputSources.findIndex((candidate) => candidate.Target !== '' && mountKey(candidate.Target) === mountKey(result.Name))
      if (result.Name === '' || climbsOut(result.Name) || input < 0) return
      report(
        joinPath(path, 'ResultPaths', index, 'Name'),
        `the wasm engine mounts this output at /${mountKey(result.Name)}, where ${joinPath(inputsPath, input)} is mounted: rename the output or move the input`,
      )
    })
    if (isObject(params.EnvironmentVariables)) {
      for (const name of Object.keys(params.EnvironmentVariables)) {
        if (name.toUpperCase().startsWith(ENV_RESERVED_PREFIX)) {
          report(joinPath(paramsPath, 'EnvironmentVariables', name), `names starting with ${ENV_RESERVED_PREFIX} are reserved for the compute node: rename it`)
        }
      }
    }
  } else if (type === 'docker') {
    if (typeof params.WorkingDirectory === 'string' && params.WorkingDirectory !== '' && !params.WorkingDirectory.startsWith('/')) {
      report(joinPath(paramsPath, 'WorkingDirectory'), `must be an absolute path (have: ${params.WorkingDirectory})`)
    }
    if (Array.isArray(params.EnvironmentVariables)) {
      params.EnvironmentVariables.forEach((entry, index) => {
        if (typeof entry === 'string' && entry.split('=', 1)[0].toUpperCase().startsWith(ENV_RESERVED_PREFIX)) {
          report(joinPath(paramsPath, 'EnvironmentVariables', index), `names starting with ${ENV_RESERVED_PREFIX} are reserved for the compute node: rename it`)
        }
      })
    }
  }
}

function validateTimeouts(timeouts: TimeoutConfig, path: string, report: Report): void {
  const fields = ['ExecutionTimeout', 'QueueTimeout', 'TotalTimeout'] as const
  for (const field of fields) {
    const value = timeouts[field]
    if (value !== undefined && value < 0) report(joinPath(path, field), `must be >= 0 seconds (have: ${value}); 0 means no timeout`)
  }
  const total = timeouts.TotalTimeout ?? 0
  const execution = Math.max(0, timeouts.ExecutionTimeout ?? 0)
  const queue = Math.max(0, timeouts.QueueTimeout ?? 0)
  if (total > 0 && execution + queue > total) {
    report(joinPath(path, 'TotalTimeout'), `must be at least ExecutionTimeout + QueueTimeout (${execution} + ${queue} s; have: ${total} s)`)
  }
}

function validateInputSources(inputs: readonly InputSource[], path: string, report: Report): void {
  const targets = new Map<string, [index: number, target: string]>()
  const aliases = new Map<string, number>()
  inputs.forEach((input, index) => {
    const at = joinPath(path, index)
    const type = validateSpecType(input.Source, 'input source', KNOWN_INPUT_SOURCE_TYPES, joinPath(at, 'Source'), report)
    const params = input.Source.Params
    const paramsPath = joinPath(at, 'Source', 'Params')
    if (type === 'inline' && typeof params.URL === 'string' && params.URL !== '' && !params.URL.startsWith('data:')) {
      report(joinPath(paramsPath, 'URL'), 'an inline source must be a data: URL (data:application/wasm;base64,...)')
    }
    if (type === 'urlDownload' && typeof params.URL === 'string' && params.URL !== '' && !/^https?:\/\//i.test(params.URL)) {
      report(joinPath(paramsPath, 'URL'), `must be an http:// or https:// URL (have: ${params.URL})`)
    }
    if (type === 'local' && typeof params.SourcePath === 'string' && params.SourcePath !== '' && !params.SourcePath.startsWith('/')) {
      report(joinPath(paramsPath, 'SourcePath'), `must be an absolute path on the compute node (have: ${params.SourcePath})`)
    }
    // A relative Target is resolved against `/`, as upstream (`bacalhau wasm run main.wasm` sends Target main.wasm).
    const key = mountKey(input.Target)
    if (input.Target === '') report(joinPath(at, 'Target'), 'missing target: set the path the input is mounted at, e.g. /inputs')
    else if (climbsOut(input.Target)) report(joinPath(at, 'Target'), climbsOutMessage(input.Target))
    else if (targets.has(key)) {
      const [other, otherTarget] = targets.get(key) as [number, string]
      const same = otherTarget === input.Target ? '' : ` (${otherTarget}; both are /${key})`
      report(joinPath(at, 'Target'), `duplicate target ${input.Target}: already used by ${joinPath(path, other)}${same}`)
    } else targets.set(key, [index, input.Target])
    const alias = input.Alias ?? ''
    if (alias !== '') {
      if (aliases.has(alias)) report(joinPath(at, 'Alias'), `duplicate alias ${alias}: already used by ${joinPath(path, aliases.get(alias) as number)}`)
      else aliases.set(alias, index)
    }
  })
}

function validateResultPaths(task: Task, taskPath: string, report: Report): void {
  const path = joinPath(taskPath, 'ResultPaths')
  const names = new Map<string, number>()
  const paths = new Map<string, number>()
  task.ResultPaths.forEach((result, index) => {
    const at = joinPath(path, index)
    if (result.Name === '') report(joinPath(at, 'Name'), 'missing name: it names the folder of this path in the results')
    else if (climbsOut(result.Name)) report(joinPath(at, 'Name'), climbsOutMessage(result.Name))
    else if (names.has(result.Name)) report(joinPath(at, 'Name'), `duplicate name ${result.Name}: already used by ${joinPath(path, names.get(result.Name) as number)}`)
    else names.set(result.Name, index)
    if (result.Path === '') report(joinPath(at, 'Path'), 'missing path: set the absolute path the task writes to, e.g. /outputs')
    else if (!result.Path.startsWith('/')) report(joinPath(at, 'Path'), `must be an absolute path (have: ${result.Path}); use /${result.Path}`)
    else if (climbsOut(result.Path)) report(joinPath(at, 'Path'), climbsOutMessage(result.Path))
    else if (paths.has(result.Path)) report(joinPath(at, 'Path'), `duplicate path ${result.Path}: already used by ${joinPath(path, paths.get(result.Path) as number)}`)
    else paths.set(result.Path, index)
  })
}

const DOMAIN = /\b([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}\b/
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const IPV6 = /^[0-9a-f:.]+$/i
const isIp = (text: string): boolean => IPV4.test(text) || (text.includes(':') && IPV6.test(text))
const PORT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_PORT_NAME = 256 - 'BACALHAU_HOST_PORT_'.length

function validateNetwork(network: NetworkConfig, path: string, report: Report): void {
  const type = canonicalType(network.Type, NETWORK_TYPES)
  if (type === undefined) report(joinPath(path, 'Type'), `unknown network type ${JSON.stringify(network.Type)}: use one of ${list(NETWORK_TYPES)}`)
  const domains = network.Domains ?? []
  if (domains.length > 0 && type !== 'HTTP') report(joinPath(path, 'Domains'), `domains can only be set with Type HTTP (have: ${network.Type})`)
  domains.forEach((domain, index) => {
    if (!DOMAIN.test(domain) && !isIp(domain)) report(joinPath(path, 'Domains', index), `invalid domain ${JSON.stringify(domain)}: use a name like example.com`)
  })
  const ports = network.Ports ?? []
  if (ports.length === 0) return
  if (type !== 'Host' && type !== 'Full' && type !== 'Bridge') {
    report(joinPath(path, 'Ports'), `ports can only be set with Type Host or Bridge (have: ${network.Type})`)
    return
  }
  const names = new Set<string>()
  const statics = new Set<number>()
  ports.forEach((port, index) => {
    const at = joinPath(path, 'Ports', index)
    if (port.Name === '') report(joinPath(at, 'Name'), 'missing port name: it becomes an environment variable name')
    else if (!PORT_NAME.test(port.Name)) report(joinPath(at, 'Name'), 'must be a valid environment variable name: a letter or _ then letters, digits, _')
    else if (port.Name.length > MAX_PORT_NAME) report(joinPath(at, 'Name'), `too long (max ${MAX_PORT_NAME} characters)`)
    else if (names.has(port.Name)) report(joinPath(at, 'Name'), `duplicate port name ${port.Name}`)
    names.add(port.Name)
    const staticPort = port.Static ?? 0
    if (staticPort !== 0 && (staticPort < 1024 || staticPort > 65535)) report(joinPath(at, 'Static'), `must be between 1024 and 65535 (have: ${staticPort})`)
    else if (staticPort !== 0 && statics.has(staticPort)) report(joinPath(at, 'Static'), `duplicate static port ${staticPort}`)
    if (staticPort !== 0) statics.add(staticPort)
    const target = port.Target ?? 0
    if (target < 0 || target > 65535) report(joinPath(at, 'Target'), `must be between 0 and 65535 (have: ${target})`)
    else if (target !== 0 && type !== 'Bridge') report(joinPath(at, 'Target'), 'target ports can only be set with Type Bridge')
    if (port.HostNetwork !== undefined && port.HostNetwork !== '' && !isIp(port.HostNetwork)) {
      report(joinPath(at, 'HostNetwork'), `must be an IP address such as 127.0.0.1 (have: ${port.HostNetwork})`)
    }
  })
}
