/**
 * The `docker` engine's Params (upstream pkg/executor/docker/models/types.go): decoding and the
 * checks upstream's EngineSpec.Validate makes. Keys are matched case-insensitively, as job specs are.
 */
import type { Task } from '@shoal/models'

/** Decoded `docker` engine params. */
export interface DockerEngineParams {
  /** Image reference: a tag or a digest. */
  Image: string
  /** Replaces the image's ENTRYPOINT when not empty. */
  Entrypoint: string[]
  /** The command (CMD) and its arguments. */
  Parameters: string[]
  /** `NAME=value` entries added to the task environment (upstream's []string). */
  EnvironmentVariables: string[]
  /** Absolute path inside the container; empty keeps the image's WORKDIR. */
  WorkingDirectory: string
}

function field(params: Record<string, unknown>, name: string): unknown {
  if (name in params) return params[name]
  const lower = name.toLowerCase()
  const key = Object.keys(params).find((k) => k.toLowerCase() === lower)
  return key === undefined ? undefined : params[key]
}

/** Decodes `task.Engine.Params`; `problems` names every invalid field with what to do (empty when fine). */
export function decodeDockerEngineParams(task: Task): { params: DockerEngineParams; problems: string[] } {
  const raw = (task.Engine?.Params ?? {}) as Record<string, unknown>
  const problems: string[] = []
  const path = (name: string) => `Engine.Params.${name}`
  const image = field(raw, 'Image')
  if (typeof image !== 'string' || image.trim() === '') problems.push(`${path('Image')}: set it to the image to run, e.g. ubuntu:24.04 or an image@sha256:… digest`)
  const strings = (name: string): string[] => {
    const value = field(raw, name)
    if (value === undefined || value === null) return []
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      problems.push(`${path(name)}: expected a list of strings`)
      return []
    }
    return value as string[]
  }
  let environment: string[]
  const env = field(raw, 'EnvironmentVariables')
  if (env !== undefined && env !== null && !Array.isArray(env) && typeof env === 'object' && Object.values(env).every((v) => typeof v === 'string')) {
    // A map is accepted too (the wasm engine's shape), so a job converted between engines runs.
    environment = Object.entries(env as Record<string, string>).map(([key, value]) => `${key}=${value}`)
  } else environment = strings('EnvironmentVariables')
  for (const [index, entry] of environment.entries()) {
    const name = entry.split('=', 1)[0]
    if (name === '') problems.push(`${path('EnvironmentVariables')}[${index}]: expected NAME=value, got ${JSON.stringify(entry)}`)
    // Upstream refuses these: the BACALHAU_* variables describe the job and cannot be overridden.
    else if (name.toUpperCase().startsWith('BACALHAU_')) problems.push(`${path('EnvironmentVariables')}[${index}]: environment variable ${name} cannot start with BACALHAU_`)
  }
  const workdir = field(raw, 'WorkingDirectory')
  if (workdir !== undefined && workdir !== null && typeof workdir !== 'string') problems.push(`${path('WorkingDirectory')}: expected a string`)
  else if (typeof workdir === 'string' && workdir !== '' && !workdir.startsWith('/')) {
    problems.push(`${path('WorkingDirectory')}: ${JSON.stringify(workdir)} must be an absolute path (start with /)`)
  }
  const params: DockerEngineParams = {
    Image: typeof image === 'string' ? image.trim() : '',
    Entrypoint: strings('Entrypoint'),
    Parameters: strings('Parameters'),
    EnvironmentVariables: environment,
    WorkingDirectory: typeof workdir === 'string' ? workdir : '',
  }
  return { params, problems }
}
