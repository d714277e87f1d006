import { readFile } from 'node:fs/promises'
import { Command } from 'commander'
import type { CliContext } from '../cli-context.ts'
import { collect, wholeNumber } from '../command-flags.ts'
import { jobSpecFromValue } from '@shoal/models'
import { addJobFlags, addTaskFlags, jobTaskFlags, type JobTaskCommandFlags } from '../job-flags.ts'
import { buildWasmJob, type WasmRunFlags } from '../wasm-job-builder.ts'
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

interface WasmCommandFlags extends RunTimeFlags, JobTaskCommandFlags {
  entryPoint: string
  importModules: string[]
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
  addJobFlags(run)
  addTaskFlags(run, {
    memory: 'memory limit, e.g. 64Mb, 1Gb (caps WASM linear memory)',
    network: 'network access: None (default for wasm), HTTP, Full',
  })
  run
    .option('--entry-point <name>', 'the exported function to call', '_start')
    .option('-I, --import-modules <module>', 'a module to link imports against: the target of an --input, or a local file or URI with the path to mount it at (lib.wasm:/lib.wasm); repeatable or comma-separated', collect, [])
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
        ...jobTaskFlags(flags),
        module,
        args,
        entryPoint: flags.entryPoint,
        // Bacalhau takes a comma-separated list too (-I a.wasm:/a.wasm,b.wasm:/b.wasm).
        importModules: flags.importModules.flatMap((value) => value.split(',')).filter((value) => value !== ''),
        deterministic: flags.deterministic,
      }
      const built = await buildWasmJob(wasmFlags, readLocalFile)
      const { job, warnings } = jobSpecFromValue(built)
      await submitAndWatch(ctx, command, job, { ...flags, waitTimeoutSecs: flags.waitTimeout ?? flags.waitTimeoutSecs }, warnings)
    })
  wasm.addCommand(run)
  return wasm
}
