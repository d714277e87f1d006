/**
 * First script of every Node worker_threads worker made by createNodeWorkerFactory: gives the
 * worker the Web Worker global surface (`self`, `postMessage`, `addEventListener('message')`) over
 * `parentPort`, steers @bytecodealliance/preview2-shim to its pure-JS browser build (its Node
 * build would hand components the host's real filesystem and stdio), installs the WASM engine's
 * access to `host` volumes (synchronous file descriptors, host-volume-access.ts), then imports the
 * Web-API-only worker script whose URL the factory passed in workerData.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { registerHooks } from 'node:module'
import { setWorkerVolumeAccess } from '@shoal/wasm/worker-volume-access'
import { HostVolumeAccess } from './host-volume-access.ts'

const port = parentPort
if (!port) throw new Error('node-worker-bootstrap.ts must run inside a worker thread')

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    if (resolved.url.includes('/@bytecodealliance/preview2-shim/dist/nodejs/')) {
      return { ...resolved, url: resolved.url.replace('/dist/nodejs/', '/dist/browser/') }
    }
    return resolved
  },
})

type Listener = (event: { data: unknown }) => void
const listeners = new Map<Listener, (data: unknown) => void>()
const scope = globalThis as Record<string, unknown>
scope.self = globalThis
scope.postMessage = (message: unknown, transfer?: readonly Transferable[]) => port.postMessage(message, transfer as any)
scope.addEventListener = (type: string, listener: Listener) => {
  if (type !== 'message' || listeners.has(listener)) return
  const wrapped = (data: unknown) => listener({ data })
  listeners.set(listener, wrapped)
  port.on('message', wrapped)
}
scope.removeEventListener = (type: string, listener: Listener) => {
  const wrapped = listeners.get(listener)
  if (type !== 'message' || !wrapped) return
  port.off('message', wrapped)
  listeners.delete(listener)
}

setWorkerVolumeAccess(new HostVolumeAccess())

await import((workerData as { scriptUrl: string }).scriptUrl)
