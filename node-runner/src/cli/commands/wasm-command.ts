import { readFile } from 'node:fs/promises'
import { Command, Option } from 'commander'
import type { CliContext } from '../cli-context.ts'
import { collect, wholeNumber } from '../command-flags.ts'
import { jobSpecFromValue } from '@shoal/models'
import { buildWasmJob, DEFAULT_WASM_PUBLISHER, type WasmRunFlags } from '../wasm-job-builder.ts'
import { addRunTimeFlags, submitAndWatch, type RunTimeFlags } from './job-submit.ts'

/** Reads a local file, or undefined when there is no regular file at `path`. */
async function readLocalFile(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}

interface WasmCommandFlags extends RunTimeFlags {
  input: string[]
  output: string[]
  publisher: string
  env: string[]
  memory?: string
  cpu?: string
  disk?: string
  gpu?: string
  taskName: string
  concurrency?: number
  selector?: string
  timeout?: number
  queueTimeout?: number
  entryPoint: string
  importModules: string[]
  count: number
  target: string
  constraints?: string
  labels: string[]
  name?: string
  namespace: string
  priority: number
  network?: string
  domain: string[]
  deterministic?: boolean
  waitTimeout?: number
}

/** `shoal wasm run MODULE [ARGS…]`: build a one-task wasm job from flags and run it like `job run`. */
export function wasmCommand(ctx: CliContext): Command {
  const wasm = new Command('wasm').description('Run WebAssembly (WASI preview1) jobs')
  const run = new Command('run')
    .description('Run a WASM module as a job, wait for it and print its output')
    .argument('<module>', 'a local .wasm file (sent inline; `path:/target` to choose where it is mounted), an http(s)://, ipfs:// or s3:// URI, or the target of an --input')
    .argument('[args...]', 'arguments passed to the module (argv[1..])')
    .option('-i, --input <spec>', 'mount an input: URI[:/target] or src=URI,dst=/path[,opt=k=v]; URIs: ipfs://CID, http(s)://…, s3://bucket/key, file:///host/path (repeatable)', collect, [])
    .option('-o, --output <name:path>', 'a result path: the task writes files under path, published as folder name (repeatable)', collect, [])
    .option('-p, --publisher <type>', `where results go: local (default here: \`shoal job get\` works afterwards; Bacalhau's default is none), ipfs, s3://bucket/key, noop`, DEFAULT_WASM_PUBLISHER)
    .option('-e, --env <K=V>', 'environment variable of the task (repeatable)', collect, [])
    .option('--memory <quantity>', 'memory limit, e.g. 64Mb, 1Gb (caps WASM linear memory)')
    .option('--cpu <quantity>', 'CPU, e.g. 500m, 1')
    .option('--disk <quantity>', 'disk, e.g. 1Gb')
    .option('--gpu <count>', 'GPUs the job needs, e.g. 1 (only nodes offering that many take it)')
    .option('--task-name <name>', "the task's name", 'main')
    .option('--timeout <seconds>', 'job timeout in seconds (TotalTimeout)', wholeNumber('--timeout'))
    .option('--queue-timeout <seconds>', 'how long the job may wait for a node, seconds', wholeNumber('--queue-timeout'))
    .option('--entry-point <name>', 'the exported function to call', '_start')
    .option('-I, --import-modules <module>', 'a module to link imports against: the target of an --input, or a local file or URI with the path to mount it at (lib.wasm:/lib.wasm); repeatable or comma-separated', collect, [])
    .option('--count <n>', 'how many nodes run the job (partitions 0..n-1)', wholeNumber('--count'), 1)
    .addOption(new Option('--concurrency <n>', 'deprecated Bacalhau spelling of --count').argParser(wholeNumber('--concurrency')).conflicts('count').hideHelp())
    .addOption(new Option('--target <mode>', 'any: the minimum number of matching nodes (batch); all: every matching node (ops)').choices(['any', 'all']).default('any'))
    .option('--constraints <selector>', 'node label selector, e.g. "region=eu,arch!=arm"')
    .addOption(new Option('-s, --selector <selector>', 'deprecated Bacalhau spelling of --constraints').conflicts('constraints').hideHelp())
    .option('-l, --labels <k=v>', 'job labels (repeatable)', collect, [])
    .option('--name <name>', 'job name (defaults to the job ID)')
    .option('--namespace <ns>', 'job namespace', 'default')
    .option('--priority <n>', 'job priority', wholeNumber('--priority'), 0)
    .option('--network <type>', 'network access: None, HTTP, Full')
    .option('--domain <domain>', 'a domain the job may reach with --network HTTP (repeatable)', collect, [])
    .option('--deterministic', '★ Shoal extension: run deterministically (seeded random_get, virtual clock) so every node produces identical output; sets Engine.Params.Deterministic')
  addRunTimeFlags(run)
  run
    .option('--wait-timeout <seconds>', 'same as --wait-timeout-secs', wholeNumber('--wait-timeout'))
    .addHelpText(
      'after',
      `
Examples:
  shoal wasm run hello.wasm                                 run a local module (sent inline)
  shoal wasm run hello.wasm -- --name world                 pass arguments to the module
  shoal wasm run https://example.com/main.wasm              fetch the module from a URL
  shoal wasm run main.wasm -i ipfs://QmCid:/inputs -o out:/outputs
  shoal wasm run main.wasm -i src=s3://bucket/data/,dst=/data --memory 128Mb --cpu 500m
  shoal wasm run main.wasm -e GREETING=hi --count 3 --deterministic
  shoal wasm run main.wasm -I lib.wasm:/lib.wasm           link an import module mounted at /lib.wasm
  shoal wasm run main.wasm --dry-run                        print the job, submit nothing
  shoal wasm run main.wasm --no-wait                        print the job ID and return`,
    )
    .action(async (module: string, args: string[], flags: WasmCommandFlags, command: Command) => {
      const wasmFlags: WasmRunFlags = {
        module,
        args,
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
        entryPoint: flags.entryPoint,
        // Bacalhau takes a comma-separated list too (-I a.wasm:/a.wasm,b.wasm:/b.wasm).
        importModules: flags.importModules.flatMap((value) => value.split(',')).filter((value) => value !== ''),
        count: flags.concurrency ?? flags.count,
        target: flags.target,
        constraints: flags.selector ?? flags.constraints,
        labels: flags.labels,
        name: flags.name,
        namespace: flags.namespace,
        priority: flags.priority,
        network: flags.network,
        domains: flags.domain,
        deterministic: flags.deterministic,
      }
      const built = await buildWasmJob(wasmFlags, readLocalFile)
      const { job, warnings } = jobSpecFromValue(built)
      await submitAndWatch(ctx, command, job, { ...flags, waitTimeoutSecs: flags.waitTimeout ?? flags.waitTimeoutSecs }, warnings)
    })
  wasm.addCommand(run)
  return wasm
}
