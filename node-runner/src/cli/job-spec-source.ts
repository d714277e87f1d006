import { readFile } from 'node:fs/promises'
import { BadRequestError, parseJobSpec, type Job } from '@shoal/models'
import type { CliIo } from './cli-io.ts'

/** A job spec's text and the name to show for it. */
export interface JobSpecText {
  text: string
  /** The file name as given, or "stdin". */
  source: string
}

/** Reads a job spec from FILE, or from standard input when the argument is `-` or absent. */
export async function readJobSpec(file: string | undefined, io: CliIo): Promise<JobSpecText> {
  if (file === undefined || file === '-') {
    if (file === undefined && io.stdinIsTTY) {
      throw new BadRequestError('no job spec given', { hint: 'Pass a file (`shoal job run job.yaml`) or `-` and pipe the spec on stdin.' })
    }
    return { text: await io.readStdin(), source: 'stdin' }
  }
  try {
    return { text: await readFile(file, 'utf8'), source: file }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message
    throw new BadRequestError(`cannot read ${file}: ${why}`, { cause: error, hint: 'Check the path, or pass `-` to read the spec from stdin.' })
  }
}

/** A parsed, normalised job with the warnings found on the way. */
export interface ParsedJobSpec {
  job: Job
  warnings: string[]
}

/** Parses and validates a job spec (YAML or JSON); throws ValidationError naming every problem. */
export function parseJobText(spec: JobSpecText): ParsedJobSpec {
  const { job, warnings } = parseJobSpec(spec.text, { source: spec.source, unknownFields: 'error' })
  return { job, warnings: warnings.map((w) => (typeof w === 'string' ? w : String(w))) }
}
