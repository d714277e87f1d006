/**
 * Time and randomness as a WASI host sees them. The system sources read the real clock and
 * crypto.getRandomValues; the deterministic ones give the same answers on every node, so a job
 * run twice produces byte-identical outputs.
 */

/** The clocks behind clock_time_get, clock_res_get and poll_oneoff. Times are nanoseconds. */
export interface WasiClock {
  /** Wall-clock time since the Unix epoch. */
  realtime(): bigint
  /** A monotonic time (arbitrary origin). */
  monotonic(): bigint
  /** Resolution reported by clock_res_get. */
  resolution(): bigint
  /** Blocks the (worker) thread for `ns`, or advances virtual time by it. */
  sleep(ns: bigint): void
}

/** Fills a buffer with random bytes (random_get). */
export type RandomSource = (buffer: Uint8Array) => void

const sleepCell = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : undefined

/** The real clocks. Sleeping uses Atomics.wait where SharedArrayBuffer exists, else spins. */
export const systemClock: WasiClock = {
  realtime: () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)),
  monotonic: () => BigInt(Math.round(performance.now() * 1e6)),
  resolution: () => 1000n,
  sleep(ns) {
    const ms = Number(ns) / 1e6
    if (ms <= 0) return
    if (sleepCell) {
      try {
        Atomics.wait(sleepCell, 0, 0, ms)
        return
      } catch {
        // Atomics.wait is not allowed on this thread (a browser main thread): spin instead.
      }
    }
    const end = performance.now() + ms
    while (performance.now() < end) {
      // busy wait: the only way to block without SharedArrayBuffer
    }
  },
}

/** The real random source (crypto.getRandomValues, 64 KiB per call). */
export const systemRandom: RandomSource = (buffer) => {
  for (let offset = 0; offset < buffer.byteLength; offset += 65536) {
    crypto.getRandomValues(buffer.subarray(offset, Math.min(offset + 65536, buffer.byteLength)) as Uint8Array<ArrayBuffer>)
  }
}

/** Step the virtual clock advances on each reading: 1 ms. */
export const VIRTUAL_CLOCK_STEP_NS = 1_000_000n

/** A virtual clock starting at `epochNs` that advances one step per reading and by each sleep. */
export function createVirtualClock(epochNs: bigint, stepNs: bigint = VIRTUAL_CLOCK_STEP_NS): WasiClock {
  let elapsed = 0n
  const tick = (): bigint => {
    elapsed += stepNs
    return elapsed
  }
  return {
    realtime: () => epochNs + tick(),
    monotonic: () => tick(),
    resolution: () => stepNs,
    sleep(ns) {
      if (ns > 0n) elapsed += ns
    },
  }
}

/**
 * A seeded pseudo-random source (xoshiro128**) from 16 seed bytes, e.g. the first bytes of
 * SHA-256(seed). Not cryptographic: deterministic mode trades secrecy for reproducibility.
 */
export function createSeededRandom(seed: Uint8Array): RandomSource {
  if (seed.byteLength < 16) throw new Error('a seeded random source needs 16 seed bytes')
  const view = new DataView(seed.buffer, seed.byteOffset, 16)
  let a = view.getUint32(0, true)
  let b = view.getUint32(4, true)
  let c = view.getUint32(8, true)
  let d = view.getUint32(12, true)
  if ((a | b | c | d) === 0) a = 1
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c = (c ^ a) >>> 0
    d = (d ^ b) >>> 0
    b = (b ^ c) >>> 0
    a = (a ^ d) >>> 0
    c = (c ^ t) >>> 0
    d = rotl(d, 11)
    return result
  }
  return (buffer) => {
    for (let i = 0; i < buffer.byteLength; i += 4) {
      let word = next()
      for (let j = i; j < Math.min(i + 4, buffer.byteLength); j++) {
        buffer[j] = word & 0xff
        word >>>= 8
      }
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
