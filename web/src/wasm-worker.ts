/**
 * The tab's WASM worker script: the engine's worker, with OPFS access installed first, so jobs
 * mount the tab's `opfs` volumes (inputs downloaded into OPFS, output directories) and read
 * and write them synchronously through sync access handles instead of holding them in memory.
 */
import { setWorkerVolumeAccess } from '@shoal/wasm'
import { OpfsWorkerVolumeAccess } from './opfs-worker-volume-access.ts'

setWorkerVolumeAccess(new OpfsWorkerVolumeAccess())
// Imported after the access is installed: the engine's worker starts taking jobs once it loads.
await import('@shoal/wasm/worker')
