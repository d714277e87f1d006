import { Command } from 'commander'
import { jobSpecFromValue } from '@shoal/models'
import type { CliContext } from '../cli-context.ts'
import { collect } from '../command-flags.ts'
import { buildDockerJob } from '../docker-job-builder.ts'
import { addJobFlags, addTaskFlags, jobTaskFlags, type JobTaskCommandFlags } from '../job-flags.ts'
import { addRunTimeFlags, submitAndWatch, type RunTimeFlags } from './job-submit.ts'

interface DockerCommandFlags extends RunTimeFlags, JobTaskCommandFlags {
  entrypoint: string[]
  workdir?: string
}

/**
 * `shoal docker run IMAGE [COMMAND] [ARG...]`: build a one-task docker job from Bacalhau's flags
 * and run it like `job run`. Nodes with a reachable dockerd offer the docker engine; without one
 * the job fails at once, naming the engines the nodes do offer.
 */
export function dockerCommand(ctx: CliContext): Command {
  const docker = new Command('docker').description('Run a docker job on the network (see run subcommand)')
  const run = new Command('run')
    .usage('[options] IMAGE[:TAG|@DIGEST] [COMMAND] [ARG...]')
    .description('Run a container image as a job on a node that offers the docker engine, wait for it and print its output')
    .argument('<image>', 'the image: IMAGE[:TAG|@DIGEST] (a specific tag or digest is better for reproducibility than latest)')
    .argument('[command...]', 'the command and its arguments (Engine.Params.Parameters); put them after -- when they start with -')
  addJobFlags(run)
  addTaskFlags(run, {
    memory: 'memory the container may use, e.g. 512Mb, 2Gb',
    network: 'network access the job needs: None, HTTP, Full (default: the node decides)',
  })
  addRunTimeFlags(run)
  run
    .option('-w, --workdir <dir>', "working directory inside the container; overrides the image's WORKDIR")
    .option('--entrypoint <cmd>', "replaces the image's ENTRYPOINT (repeatable or comma-separated: --entrypoint /bin/sh,-c)", collect, [])
    .addHelpText(
      'after',
      `
Examples:
  shoal docker run ubuntu:24.04 echo hello               run a command in an image
  shoal docker run -i ipfs://QmCid,dst=/inputs -o out:/outputs alpine:3.20 -- sh -c 'ls /inputs > /outputs/list'
  shoal docker run --entrypoint /bin/sh busybox -- -c 'echo $HOME'
  shoal docker run --dry-run ubuntu echo hello > job.yaml  print the job, submit nothing
  shoal docker run --cpu 1 --memory 2Gb --network HTTP --domain example.com python:3.12 python -c 'print(1)'

A node runs it only if it offers the docker engine; otherwise the job fails at once and says
which engines the nodes offer (\`shoal node list\` shows them too).`,
    )
    .action(async (image: string, args: string[], flags: DockerCommandFlags, command: Command) => {
      const built = buildDockerJob({
        ...jobTaskFlags(flags),
        image,
        args,
        // Bacalhau's --entrypoint is a string slice: repeatable and comma-separated.
        entrypoint: flags.entrypoint.flatMap((value) => value.split(',')).filter((value) => value !== ''),
        workdir: flags.workdir,
      })
      const { job, warnings } = jobSpecFromValue(built)
      await submitAndWatch(ctx, command, job, flags, warnings)
    })
  docker.addCommand(run)
  return docker
}
