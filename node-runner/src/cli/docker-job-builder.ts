import { ValidationError, type Job } from '@shoal/models'
import { buildJobFromFlags, parseInputFlags, type JobTaskFlags } from './job-flags.ts'

/** Flags of `shoal docker run`, as parsed from the command line: the shared job and task flags plus docker's own. */
export interface DockerRunFlags extends JobTaskFlags {
  /** IMAGE[:TAG|@DIGEST]. */
  image: string
  /** The command and its arguments (Engine.Params.Parameters). */
  args: string[]
  /** --entrypoint: replaces the image's ENTRYPOINT. */
  entrypoint?: string[]
  /** -w/--workdir: the working directory inside the container (absolute). */
  workdir?: string
}

/**
 * Builds the job `shoal docker run` submits, as Bacalhau's does: one task with engine `docker`
 * {Image, Entrypoint, Parameters, WorkingDirectory}, and the inputs, outputs, env, resources,
 * network, publisher and timeouts of the shared flags. The task's Env carries --env, as upstream.
 */
export function buildDockerJob(flags: DockerRunFlags): Partial<Job> {
  const image = flags.image.trim()
  if (image === '') throw new ValidationError([{ path: 'IMAGE', message: 'must name an image, e.g. ubuntu:24.04 or busybox@sha256:…' }])
  if (flags.workdir && !flags.workdir.startsWith('/')) {
    throw new ValidationError([{ path: '--workdir', message: `must be an absolute path inside the container (have: ${flags.workdir})` }], {
      hint: 'Give it from the root, e.g. -w /work.',
    })
  }
  const params: Record<string, unknown> = { Image: image, Parameters: flags.args }
  if (flags.entrypoint && flags.entrypoint.length > 0) params.Entrypoint = flags.entrypoint
  if (flags.workdir) params.WorkingDirectory = flags.workdir
  return buildJobFromFlags(flags, { engine: { Type: 'docker', Params: params }, inputs: parseInputFlags(flags) })
}
