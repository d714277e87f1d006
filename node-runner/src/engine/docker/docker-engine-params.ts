/**
 * The `docker` engine's Params (upstream pkg/executor/docker/models/types.go): decoding and the
 * checks upstream's EngineSpec.Validate makes. Keys are matched case-insensitively, as job specs are.
 */
import { ParamsReader, type Task } from '@shoal/models'

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

/** Decodes `task.Engine.Params`; `problems` names every invalid field with what to do (empty when fine). */
export function decodeDockerEngineParams(task: Task): { params: DockerEngineParams; problems: string[] } {
  const reader = new ParamsReader({ params: task.Engine?.Params, path: 'Engine.Params' })
  const image = reader.field('Image')
  if (typeof image !== 'string' || image.trim() === '') reader.problem('Image', 'set it to the image to run, e.g. ubuntu:24.04 or an image@sha256:… digest')
  // A map is accepted too (the wasm engine's shape), so a job converted between engines runs.
  const environment = !reader.absent('EnvironmentVariables') && reader.isStringMap('EnvironmentVariables')
    ? Object.entries(reader.stringMap('EnvironmentVariables')).map(([key, value]) => `${key}=${value}`)
    : reader.strings('EnvironmentVariables')
  for (const [index, entry] of environment.entries()) {
    const name = entry.split('=', 1)[0]
    if (name === '') reader.problem('EnvironmentVariables', `expected NAME=value, got ${JSON.stringify(entry)}`, index)
    // Upstream refuses these: the BACALHAU_* variables describe the job and cannot be overridden.
    else if (name.toUpperCase().startsWith('BACALHAU_')) reader.problem('EnvironmentVariables', `environment variable ${name} cannot start with BACALHAU_`, index)
  }
  const workdir = reader.string('WorkingDirectory')
  if (workdir !== '' && !workdir.startsWith('/')) reader.problem('WorkingDirectory', `${JSON.stringify(workdir)} must be an absolute path (start with /)`)
  const params: DockerEngineParams = {
    Image: typeof image === 'string' ? image.trim() : '',
    Entrypoint: reader.strings('Entrypoint'),
    Parameters: reader.strings('Parameters'),
    EnvironmentVariables: environment,
    WorkingDirectory: workdir,
  }
  return { params, problems: reader.problems }
}
