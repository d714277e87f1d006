/**
 * Memory offered to jobs: half of what the browser reports (navigator.deviceMemory, Chromium
 * only, capped at 8 GiB by the browser), between 1 and 4 GiB; 2 GiB when unknown.
 */
export function memoryBudgetBytes(navigator: Navigator): number {
  const GiB = 1024 ** 3
  const reported = (navigator as Navigator & { deviceMemory?: number }).deviceMemory
  if (typeof reported !== 'number' || !(reported > 0)) return 2 * GiB
  return Math.min(4 * GiB, Math.max(1 * GiB, Math.floor((reported * GiB) / 2)))
}
