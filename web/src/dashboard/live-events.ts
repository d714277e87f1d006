/**
 * The requester's pushed changes (GET /api/v1/shoal/events) for every view: one stream per tab,
 * re-opened with backoff when it drops, and its connection state for the header.
 */
import type { RequesterEvent } from '@shoal/client'
import type { Session } from './session.ts'

/** Connection state of the stream. */
export type LiveStatus = 'connecting' | 'live' | 'offline'

/** Longest wait before opening the stream again. */
const MAX_RETRY_MS = 10_000

/** Dispatches `job` and `node` CustomEvents (detail: the RequesterEvent) and `status` changes. */
export class LiveEvents extends EventTarget {
  status: LiveStatus = 'connecting'
  private controller = new AbortController()
  private readonly session: Session

  constructor(session: Session) {
    super()
    this.session = session
  }

  /** Opens the stream and keeps it open until stop(). */
  start(): void {
    void this.run(this.controller.signal)
  }

  /** Opens the stream again (after the token changed). */
  restart(): void {
    this.controller.abort()
    this.controller = new AbortController()
    this.start()
  }

  /** Calls `listener` for each event of `type` until `signal` aborts. */
  on(type: 'job' | 'node', listener: (event: RequesterEvent) => void, signal: AbortSignal): void {
    this.addEventListener(type, (event) => listener((event as CustomEvent<RequesterEvent>).detail), { signal })
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return
    this.status = status
    this.dispatchEvent(new Event('status'))
  }

  private async run(signal: AbortSignal): Promise<void> {
    // Bounded by the signal: each round waits at least 1 s unless the stream delivered events.
    for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      this.setStatus('connecting')
      try {
        for await (const event of this.session.client.events({ signal })) {
          if (event.type === 'ready') {
            this.setStatus('live')
            delay = 500
            // Whatever changed while the stream was down: views reload once.
            this.dispatchEvent(new CustomEvent('resync'))
            continue
          }
          this.dispatchEvent(new CustomEvent(event.type, { detail: event }))
        }
      } catch (err) {
        this.session.noteError(err)
      }
      if (signal.aborted) return
      this.setStatus('offline')
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

/**
 * Runs `reload` when `live` reports a change `matches` accepts, at most once per `everyMs`
 * (a burst of 100 job changes becomes one or two reloads), and on resync.
 */
export function reloadOn(live: LiveEvents, types: Array<'job' | 'node'>, matches: (event: RequesterEvent) => boolean, reload: () => Promise<void> | void, signal: AbortSignal, everyMs = 250): void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false
  let again = false
  const fire = async () => {
    timer = undefined
    if (running) {
      again = true
      return
    }
    running = true
    try {
      await reload()
    } finally {
      running = false
      if (again && !signal.aborted) {
        again = false
        schedule()
      }
    }
  }
  const schedule = () => {
    if (timer === undefined && !signal.aborted) timer = setTimeout(() => void fire(), everyMs)
  }
  for (const type of types) live.on(type, (event) => matches(event) && schedule(), signal)
  live.addEventListener('resync', schedule, { signal })
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
}
