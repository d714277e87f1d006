/**
 * Job specs as users write them: a YAML or JSON file (`bacalhau job run job.yaml`) or the body
 * of PUT /api/v1/orchestrator/jobs. Keys are matched case-insensitively; unknown fields warn;
 * the legacy wasm form is converted; fields a submitter may not set are reset with a warning.
 */
import { LineCounter, parseAllDocuments } from 'yaml'
import { ValidationError } from './errors.ts'
import type { ValidationIssue } from './errors.ts'
import { issuesFromZod, joinPath } from './issue-path.ts'
import { JobSchema } from './job-schema.ts'
import { normalizeJob } from './job-normalize.ts'
import { MAX_SPEC_DEPTH } from './job-limits.ts'
import { sanitizeJobSubmission } from './job-sanitize.ts'
import { validateJob } from './job-validation.ts'
import { upgradeLegacyWasmTask } from './legacy-wasm.ts'
import { canonicalType, INPUT_SOURCE_TYPE_ALIASES } from './plugin-types.ts'
import { nestingDepthIssue } from './nesting-depth.ts'
import { canonicalizeKeys, UNKNOWN_FIELD } from './schema-keys.ts'
import type { Job } from './types.ts'

/** Options of parseJobSpec and jobSpecFromValue. */
export interface JobSpecOptions {
  /** Name of the input (a file name) used in error messages. */
  source?: string
  /** Run validateJob and throw on problems (default true). With false only structure is checked. */
  validate?: boolean
  /**
   * What a field the job model does not know is: a warning and ignored (default; the REST API,
   * like Bacalhau's, which decodes JSON leniently) or an error naming it (the CLI, like
   * `bacalhau job run`, so a misspelt `Contraints:` is not silently dropped).
   */
  unknownFields?: 'warn' | 'error'
}

/** A parsed job spec and the warnings the user should see. */
export interface ParsedJobSpec {
  job: Job
  warnings: string[]
}

type Raw = Record<string, unknown>
const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value)

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`)
const where = (source: string | undefined): string => (source ? `${source}: ` : '')

/**
 * Parses a job spec written as YAML or JSON (JSON is YAML). Throws ValidationError for a
 * malformed document (the issue names line and column), an empty one, several documents, a
 * root that is not an object, wrong field types, and — unless `validate: false` — every rule
 * validateJob checks. The job comes back normalized, without server defaults (no ID yet).
 */
export function parseJobSpec(text: string, options: JobSpecOptions = {}): ParsedJobSpec {
  const lineCounter = new LineCounter()
  // logLevel 'error': the yaml package would print process warnings (e.g. for a {{.x}} map key) to the terminal.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, logLevel: 'error' })
  const prefix = where(options.source)
  if (!Array.isArray(documents) || documents.length === 0) {
    throw new ValidationError([{ path: '', message: `${prefix}empty job spec: the document holds no job` }])
  }
  const syntax: ValidationIssue[] = []
  for (const document of documents) {
    for (const error of document.errors) {
      const position = lineCounter.linePos(error.pos[0])
      const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')
      syntax.push({ path: '', message: `${prefix}line ${position.line}, column ${position.col}: ${message}` })
    }
  }
  if (syntax.length > 0) throw new ValidationError(syntax, { hint: 'fix the YAML/JSON syntax at the position shown' })
  if (documents.length > 1) {
    const position = lineCounter.linePos(documents[1].range[0])
    throw new ValidationError([
      { path: '', message: `${prefix}line ${position.line}: a second YAML document starts here; put one job per file` },
    ])
  }
  const value: unknown = documents[0].toJS({ maxAliasCount: 100 })
  if (value === null || value === undefined) {
    throw new ValidationError([{ path: '', message: `${prefix}empty job spec: the document holds no job` }])
  }
  return jobSpecFromValue(value, options)
}

/** Unwraps the PUT body form `{Job: {...}, Force?}` (any key case). */
function unwrapJob(root: Raw, warnings: string[]): Raw {
  const keys = Object.keys(root)
  const jobKey = keys.find((key) => key.toLowerCase() === 'job')
  const looksLikeJob = keys.some((key) => ['tasks', 'type'].includes(key.toLowerCase()))
  if (jobKey === undefined || looksLikeJob || !isObject(root[jobKey])) return root
  for (const key of keys) {
    if (key !== jobKey && key.toLowerCase() !== 'force') warnings.push(`${joinPath('', key)}: unknown field next to Job, ignored`)
  }
  return root[jobKey]
}

/**
 * A job spec from an already-decoded value (a parsed YAML/JSON document or a request body,
 * bare or wrapped as `{Job: ...}`); the same steps and errors as parseJobSpec after syntax.
 */
export function jobSpecFromValue(value: unknown, options: JobSpecOptions = {}): ParsedJobSpec {
  const prefix = where(options.source)
  if (!isObject(value)) {
    throw new ValidationError([{ path: '', message: `${prefix}a job spec must be an object with Type and Tasks, got ${describe(value)}` }])
  }
  const warnings: string[] = []
  const job = unwrapJob(value, warnings)
  // Before anything recursive: a spec nested thousands deep would overflow the stack below.
  const tooDeep = nestingDepthIssue(job, MAX_SPEC_DEPTH)
  if (tooDeep) throw new ValidationError([{ path: tooDeep.path, message: `${prefix}${tooDeep.message}` }], { details: { warnings } })
  const canonical = canonicalizeKeys(job, JobSchema, '', warnings) as Raw
  if (options.unknownFields === 'error') {
    const suffix = `: ${UNKNOWN_FIELD}`
    const unknown = warnings.filter((w) => w.endsWith(suffix)).map((w) => w.slice(0, -suffix.length))
    if (unknown.length > 0) {
      throw new ValidationError(
        unknown.map((path) => ({ path, message: 'unknown field: check its spelling and where it sits in the job model' })),
        { hint: 'remove or rename the fields named above (keys match case-insensitively)' },
      )
    }
  }
  if (Array.isArray(canonical.Tasks)) {
    canonical.Tasks.forEach((task, index) => {
      if (isObject(task)) warnings.push(...upgradeLegacyWasmTask(task, joinPath('Tasks', index)))
    })
  }
  const parsed = JobSchema.safeParse(canonical, { reportInput: true })
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error), { details: { warnings } })
  parsed.data.Tasks?.forEach((task, taskIndex) =>
    task.InputSources?.forEach((input, inputIndex) => {
      const alias = canonicalType(input.Source.Type, Object.keys(INPUT_SOURCE_TYPE_ALIASES))
      if (alias !== undefined) {
        warnings.push(
          `${joinPath('Tasks', taskIndex, 'InputSources', inputIndex, 'Source', 'Type')}: ${alias} is deprecated, using ${INPUT_SOURCE_TYPE_ALIASES[alias]}`,
        )
      }
    }),
  )
  const sanitized = sanitizeJobSubmission(normalizeJob(parsed.data))
  warnings.push(...sanitized.warnings)
  if (options.validate !== false) {
    const issues = validateJob(sanitized.job)
    if (issues.length > 0) throw new ValidationError(issues, { details: { warnings }, hint: 'fix the fields named above and submit the job again' })
  }
  return { job: sanitized.job, warnings }
}
