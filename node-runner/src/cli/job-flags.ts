/**
 * The flag groups `wasm run` and `docker run` share, as Bacalhau's cliflags registers them for
 * both (cmd/util/flags/cliflags job.go and task.go), and the job they build around an engine
 * (Bacalhau's helpers.BuildJobFromFlags).
 */
import { Option, type Command } from 'commander'
import { ValidationError, type InputSource, type Job, type SpecConfig, type Task } from '@shoal/models'
import { collect, wholeNumber } from './command-flags.ts'
import { parseConstraints, parseInputSpec, parseLabels, parsePublisherSpec, parseResultPath } from './storage-spec.ts'
import { parseKeyValues } from './template-vars.ts'

/** The default publisher of `wasm run` and `docker run`: local, so `shoal job get` works afterwards (Bacalhau defaults to none). */
export const DEFAULT_RUN_PUBLISHER = 'local'

/** Values of the job and task flag groups, as a builder takes them. */
export interface JobTaskFlags {
  /** --input values: URI[:/target] or src=URI,dst=/path[,opt=k=v]. */
  inputs?: string[]
  /** --output values: name:path. */
  outputs?: string[]
  publisher?: string
  /** --env values: K=V. */
  env?: string[]
  memory?: string
  cpu?: string
  disk?: string
  /** GPUs, e.g. "1". */
  gpu?: string
  /** The task's name (default main). */
  taskName?: string
  /** --timeout: TotalTimeout, seconds. */
  timeout?: number
  /** --queue-timeout: QueueTimeout, seconds (0 or unset: fail at once when no node can run it). */
  queueTimeout?: number
  count?: number
  /** any (batch) or all (ops). */
  target?: string
  constraints?: string
  labels?: string[]
  name?: string
  namespace?: string
  priority?: number
  network?: string
  domains?: string[]
}

/** The flag values commander parses for addJobFlags and addTaskFlags. */
export interface JobTaskCommandFlags {
  input: string[]
  output: string[]
  publisher: string
  env: string[]
  memory?: string
  cpu?: string
  disk?: string
  gpu?: string
  taskName: string
  timeout?: number
  queueTimeout?: number
  count: number
  concurrency?: number
  target: string
  constraints?: string
  selector?: string
  labels: string[]
  name?: string
  namespace: string
  priority: number
  network?: string
  domain: string[]
}

/** How an engine's command words the shared task flags. */
export interface TaskFlagHelp {
  /** Help of --memory (what the limit caps in this engine). */
  memory: string
  /** Help of --network (what the engine can use). */
  network: string
}

/**
 * Bacalhau's job flags: --name, --namespace, --priority, -l/--labels, --count, --target any|all,
 * --constraints, and the deprecated --concurrency and -s/--selector (hidden).
 */
export function addJobFlags(command: Command): Command {
  return command
    .option('--name <name>', 'job name (defaults to the job ID)')
    .option('--namespace <ns>', 'job namespace', 'default')
    .option('--priority <n>', 'job priority', wholeNumber('--priority'), 0)
    .option('-l, --labels <k=v>', 'job labels (repeatable)', collect, [])
    .option('--count <n>', 'how many nodes run the job (partitions 0..n-1)', wholeNumber('--count'), 1)
    .addOption(new Option('--concurrency <n>', 'deprecated Bacalhau spelling of --count').argParser(wholeNumber('--concurrency')).conflicts('count').hideHelp())
    .addOption(new Option('--target <mode>', 'any: the minimum number of matching nodes (batch); all: every matching node (ops)').choices(['any', 'all']).default('any'))
    .option('--constraints <selector>', 'node label selector, e.g. "region=eu,arch!=arm"')
    .addOption(new Option('-s, --selector <selector>', 'deprecated Bacalhau spelling of --constraints').conflicts('constraints').hideHelp())
}

/**
 * Bacalhau's task flags: --task-name, -e/--env, -i/--input, -o/--output, -p/--publisher, --cpu,
 * --memory, --disk, --gpu, --network, --domain, --timeout, --queue-timeout.
 */
export function addTaskFlags(command: Command, help: TaskFlagHelp): Command {
  return command
    .option('--task-name <name>', "the task's name", 'main')
    .option('-e, --env <K=V>', 'environment variable of the task (repeatable)', collect, [])
    .option('-i, --input <spec>', 'mount an input: URI[:/target] or src=URI,dst=/path[,opt=k=v]; URIs: ipfs://CID, http(s)://…, s3://bucket/key, file:///host/path (repeatable)', collect, [])
    .option('-o, --output <name:path>', 'a result path: the task writes files under path, published as folder name (repeatable)', collect, [])
    .option('-p, --publisher <type>', `where results go: local (default here: \`shoal job get\` works afterwards; Bacalhau's default is none), ipfs, s3://bucket/key, noop`, DEFAULT_RUN_PUBLISHER)
    .option('--cpu <quantity>', 'CPU, e.g. 500m, 1')
    .option('--memory <quantity>', help.memory)
    .option('--disk <quantity>', 'disk, e.g. 1Gb')
    .option('--gpu <count>', 'GPUs the job needs, e.g. 1 (only nodes offering that many take it)')
    .option('--network <type>', help.network)
    .option('--domain <domain>', 'a domain the job may reach with --network HTTP (repeatable)', collect, [])
    .option('--timeout <seconds>', 'job timeout in seconds (TotalTimeout)', wholeNumber('--timeout'))
    .option('--queue-timeout <seconds>', 'how long the job may wait for a node, seconds (default 0: it fails at once when no node can run it)', wholeNumber('--queue-timeout'))
}

/** The builder's view of the parsed job and task flags (deprecated spellings folded in). */
export function jobTaskFlags(flags: JobTaskCommandFlags): JobTaskFlags {
  return {
    inputs: flags.input,
    outputs: flags.output,
    publisher: flags.publisher,
    env: flags.env,
    memory: flags.memory,
    cpu: flags.cpu,
    disk: flags.disk,
    gpu: flags.gpu,
    taskName: flags.taskName,
    timeout: flags.timeout,
    queueTimeout: flags.queueTimeout,
    count: flags.concurrency ?? flags.count,
    target: flags.target,
    constraints: flags.selector ?? flags.constraints,
    labels: flags.labels,
    name: flags.name,
    namespace: flags.namespace,
    priority: flags.priority,
    network: flags.network,
    domains: flags.domain,
  }
}

/** The --input flags as input sources (mounted under /inputs unless a target is given). */
export function parseInputFlags(flags: Pick<JobTaskFlags, 'inputs'>): InputSource[] {
  return (flags.inputs ?? []).map((value) => parseInputSpec(value, '/inputs', '--input'))
}

/** What the engine's command adds to the job the shared flags describe. */
export interface JobFromFlagsOptions {
  /** The task's engine. */
  engine: SpecConfig
  /** Every input source of the task (the --input flags plus what the engine's command mounts). */
  inputs: InputSource[]
  /** Network.Type when --network is not given; undefined leaves Network unset (Bacalhau's Default). */
  defaultNetwork?: string
}

/** The one-task job the job and task flags describe around `engine` (Bacalhau's BuildJobFromFlags). */
export function buildJobFromFlags(flags: JobTaskFlags, options: JobFromFlagsOptions): Partial<Job> {
  const target = flags.target ?? 'any'
  if (target !== 'any' && target !== 'all') throw new ValidationError([{ path: '--target', message: `must be "any" or "all", not "${target}"` }])
  const count = flags.count ?? 1
  if (!Number.isInteger(count) || count < 1) throw new ValidationError([{ path: '--count', message: 'must be a whole number of at least 1' }])
  const resources: Task['Resources'] = {}
  if (flags.cpu) resources.CPU = flags.cpu
  if (flags.memory) resources.Memory = flags.memory
  if (flags.disk) resources.Disk = flags.disk
  if (flags.gpu) resources.GPU = flags.gpu
  const domains = flags.domains && flags.domains.length > 0 ? { Domains: flags.domains } : {}
  const networkType = flags.network ?? options.defaultNetwork
  const task: Task = {
    Name: flags.taskName || 'main',
    Engine: options.engine,
    Publisher: parsePublisherSpec(flags.publisher ?? DEFAULT_RUN_PUBLISHER),
    Env: parseKeyValues(flags.env ?? [], '--env'),
    Meta: {},
    InputSources: options.inputs,
    ResultPaths: (flags.outputs ?? []).map((value) => parseResultPath(value)),
    Resources: resources,
    // As Bacalhau: the Default network unless one is chosen (--domain alone sets nothing).
    Network: networkType !== undefined ? { Type: networkType, ...domains } : { Type: '' },
    Timeouts: {
      ...(flags.timeout ? { TotalTimeout: flags.timeout } : {}),
      ...(flags.queueTimeout ? { QueueTimeout: flags.queueTimeout } : {}),
    },
  }
  return {
    Name: flags.name ?? '',
    Namespace: flags.namespace ?? 'default',
    Type: target === 'all' ? 'ops' : 'batch',
    Priority: flags.priority ?? 0,
    Count: count,
    Constraints: flags.constraints ? parseConstraints(flags.constraints) : [],
    Labels: parseLabels(flags.labels ?? []),
    Meta: {},
    Tasks: [task],
  }
}
