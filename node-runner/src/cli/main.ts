/**
 * The `shoal` command line (bin/shoal.js imports this; `npm run shoal -- …` runs it directly).
 * SIGINT/SIGTERM abort the running command; a second one exits at once.
 */
import process from 'node:process'
import { AbortError } from '@shoal/models'
import { processIo } from './cli-io.ts'
import { ExitCode } from './exit-codes.ts'
import { runCli } from './program.ts'

const controller = new AbortController()
const onSignal = (): void => {
  if (controller.signal.aborted) process.exit(ExitCode.Interrupted)
  controller.abort(new AbortError('interrupted'))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)
// `shoal job list | head`: a closed pipe ends the command quietly, as it does for other tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.Ok)
    throw error
  })
}

const code = await runCli(process.argv.slice(2), { io: processIo(), signal: controller.signal })
process.exitCode = code
process.off('SIGINT', onSignal)
process.off('SIGTERM', onSignal)
// Idle keep-alive sockets must not hold a finished command open.
setTimeout(() => process.exit(code), 2000).unref()
