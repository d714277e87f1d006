/**
 * A dedicated worker for the tests of OpfsWorkerVolumeAccess: lists a volume it is sent and
 * reads or writes one of its files through a sync access handle, as the WASM worker does.
 */
import type { OpfsVolume } from '@shoal/interface'
import { OpfsWorkerVolumeAccess } from '../src/opfs-worker-volume-access.ts'

/** What the test asks. */
export interface AccessRequest {
  volume: OpfsVolume
  path: string
  /** Bytes to write at offset 0 (then the file is read back); absent: just read. */
  write?: Uint8Array
  /** Open the file for writing and keep it open until the worker is terminated (a job stopped mid-run). */
  hold?: boolean
}

const access = new OpfsWorkerVolumeAccess()
self.addEventListener('message', async (event: MessageEvent<AccessRequest>) => {
  const { volume, path, write, hold } = event.data
  try {
    if (hold) {
      await access.open(volume, path, 'readwrite')
      self.postMessage({ opened: true })
      return
    }
    const entries = await access.list(volume)
    const file = await access.open(volume, path, write ? 'readwrite' : 'read')
    try {
      if (write) {
        file.truncate(0)
        file.write(write, { at: 0 })
        file.flush()
      }
      const data = new Uint8Array(file.getSize())
      // Reads at offsets until the file's end, as a WASI fd_pread would.
      let at = 0
      while (at < data.byteLength) {
        const read = file.read(data.subarray(at), { at })
        if (read === 0) break
        at += read
      }
      self.postMessage({ entries, data })
    } finally {
      file.close()
    }
  } catch (err) {
    self.postMessage({ error: `${(err as Error).name}: ${(err as Error).message}` })
  }
})
