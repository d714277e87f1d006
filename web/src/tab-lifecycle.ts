/** What the tab lifecycle drives. */
export interface TabLifecycleTarget {
  leave(reason: string): Promise<void>
  rejoin(): Promise<void>
}

/**
 * Ties the contribution to the tab: closing it (`pagehide`) or hiding it
 * (`visibilitychange` to hidden) leaves the network at once with a Goodbye, so the requester
 * reschedules the tab's jobs immediately instead of after missed heartbeats; showing it again
 * rejoins. Returns a function that removes the listeners.
 */
export function bindTabLifecycle(target: TabLifecycleTarget, doc: Document = document, win: Window = window): () => void {
  const onPageHide = () => void target.leave('the contributor closed the tab')
  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') void target.leave('the contributor hid the tab')
    else void target.rejoin()
  }
  const onPageShow = (event: PageTransitionEvent) => {
    // Back from the back/forward cache: the page is alive again.
    if (event.persisted) void target.rejoin()
  }
  win.addEventListener('pagehide', onPageHide)
  win.addEventListener('pageshow', onPageShow)
  doc.addEventListener('visibilitychange', onVisibility)
  return () => {
    win.removeEventListener('pagehide', onPageHide)
    win.removeEventListener('pageshow', onPageShow)
    doc.removeEventListener('visibilitychange', onVisibility)
  }
}
