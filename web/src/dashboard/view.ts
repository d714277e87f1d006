/** What every dashboard view gets, and what it returns. */
import type { LiveEvents } from './live-events.ts'
import type { Session } from './session.ts'

/** The view's world: the API session, the live events, navigation, and a signal that aborts when the view goes. */
export interface ViewContext {
  session: Session
  live: LiveEvents
  /** Goes to a dashboard path without a reload. */
  navigate(path: string): void
  /** Aborted when the user leaves the view: listeners and streams end with it. */
  signal: AbortSignal
  /** The page title (and the heading screen readers announce). */
  setTitle(title: string): void
}

/** A view renders its route into an element and keeps it up to date until its signal aborts. */
export type View = (context: ViewContext, params: string[], url: URL) => HTMLElement
