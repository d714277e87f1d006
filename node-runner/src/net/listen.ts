import type { Server } from 'node:http'
import { ConflictError, UnreachableError } from '@shoal/models'

/**
 * Listens on host:port and resolves with the bound port; a port in use or a host that cannot be
 * bound becomes one clear error saying what to do.
 */
export function listen(server: Server, host: string, port: number, what: string, portFlag = '--port'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      if (err.code === 'EADDRINUSE') {
        reject(new ConflictError(`the ${what} port ${port} on ${host} is already in use`, { hint: `Stop what uses it, or choose another ${portFlag}.` }))
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES') {
        reject(new UnreachableError(`${what}: cannot listen on ${host}:${port} (${err.code})`, { hint: 'choose a host address of this machine with --host, or a port above 1024' }))
      } else reject(err)
    }
    const onListening = () => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address !== null ? address.port : port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}
