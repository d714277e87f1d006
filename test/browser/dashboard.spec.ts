/**
 * The dashboard in real headless Chromium against a real requester and compute node
 * (scenarios/dashboard.ts): real URLs and a real 404, approving a pending node, a contribute tab
 * and a CLI job appearing without a reload, submitting from /submit to Completed with logs, and
 * stopping a long job.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from './run-scenario.ts'

interface Route {
  path: string
  status: number
  location: string | null
  dashboard: boolean
  contribute: boolean
}

interface DashboardFindings {
  routes: Route[]
  deepLink: { heading: string; title: string; inspectedId?: string; text: string }
  notFound: { heading: string }
  landing: { live: string; text: string; contributeHref: string; charts: number }
  approved: { before: string; api: string; noReload: boolean }
  tabAppears: { before: number; after: number; noReload: boolean; url: string }
  cliAppears: { jobId: string; noReload: boolean; url: string }
  editor: { templateIssues: string[]; typedIssues: string[]; issuePaths: string[]; dryRun: string }
  submitted: { jobId: string; jobsBefore: number; jobsAfter: number; logs: string; executions: string[]; history: number; timeline: string[]; results: string[]; apiState: string; reloadedHasId: boolean; completedActions: { stop: boolean; rerun: boolean } }
  stopped: { runningActions: { stop: boolean; rerun: boolean }; jobId: string; apiState: string; rerunShown: boolean }
  accessibility: Array<{ path: string; unlabeled: string[]; overflow: number; headings: number; firstFocus: string }>
  theme: { light: string; dark: string; body: string }
  auth: { asked: string; readOnly: string; refused: string; askedAfterReload: number; jobsOnServer: number }
}

describe('dashboard: every route against a real requester', () => {
  let findings: DashboardFindings

  beforeAll(async () => {
    findings = (await runScenario<DashboardFindings>('dashboard', { timeoutMs: 230_000 })).findings
  })

  it('serves each route as a real URL, /contribute as the contribute page, and 404 for unknown paths', () => {
    const byPath = new Map(findings.routes.map((r) => [r.path, r]))
    for (const path of ['/', '/jobs', '/jobs/j-does-not-exist', '/nodes', '/submit']) expect(byPath.get(path), path).toMatchObject({ status: 200, dashboard: true })
    expect(findings.routes.find((r) => r.path.startsWith('/nodes/n-'))).toMatchObject({ status: 200, dashboard: true })
    expect(byPath.get('/contribute')).toMatchObject({ status: 200, contribute: true, dashboard: false })
    expect(byPath.get('/nope')).toMatchObject({ status: 404, dashboard: true })
    expect(byPath.get('/jobs/a/b')).toMatchObject({ status: 404 })
    expect(byPath.get('/?label=tab=a')).toMatchObject({ status: 302, location: '/contribute?label=tab=a' })
  })

  it('renders a deep link on load, and a not-found page for an unknown path', () => {
    expect(findings.deepLink.heading).toMatch(/^Node n-/)
    // The node detail shows its reputation, what it turned off and why, and the raw node (upstream's inspect).
    expect(findings.deepLink.inspectedId).toBe(findings.deepLink.heading?.replace(/^Node /, ''))
    expect(findings.deepLink.text).toContain('Reputation')
    expect(findings.deepLink.text).toMatch(/Off.*(docker|local|s3)/s)
    expect(findings.notFound.heading).toBe('Page not found')
  })

  it('shows live counts, charts and both ways in on the landing page', () => {
    // The header shows the event stream is connected.
    expect(findings.landing.live).toBe('live')
    expect(findings.landing.text).toContain('compute nodes online')
    expect(findings.landing.text).toContain('jobs/min')
    expect(findings.landing.contributeHref).toBe('/contribute')
    expect(findings.landing.charts).toBeGreaterThanOrEqual(3)
  })

  it('approves a pending node from /nodes, without a reload', () => {
    expect(findings.approved).toEqual({ before: 'PENDING', api: 'APPROVED', noReload: true })
  })

  it('shows a contribute tab opened in another tab on /nodes, without a reload', () => {
    expect(findings.tabAppears.before).toBe(0)
    expect(findings.tabAppears.after).toBe(1)
    expect(findings.tabAppears.noReload).toBe(true)
  })

  it('shows a job submitted by the CLI on /jobs, without a reload', () => {
    expect(findings.cliAppears.jobId).toMatch(/^j-/)
    expect(findings.cliAppears.noReload).toBe(true)
  })

  it('validates the spec as it is typed, naming field paths, and dry-runs it', () => {
    expect(findings.editor.templateIssues.join('\n')).toContain('Tasks[0].Engine.Params.EntryModule')
    expect(findings.editor.issuePaths).toContain('Count')
    expect(findings.editor.typedIssues.join('\n')).toMatch(/Count: .*-3.*\(line \d+\)/)
    expect(findings.editor.dryRun).toMatch(/^Dry run: valid/)
  })

  it('submits a picked WASM module from /submit and shows it reach Completed with its logs', () => {
    const s = findings.submitted
    // The CLI job existed before; the page's submission made exactly one more.
    expect(s.jobsBefore).toBe(1)
    expect(s.jobsAfter).toBe(2)
    expect(s.apiState).toBe('Completed')
    expect(s.logs).toBe('hello from wasm\n')
    expect(s.executions).toHaveLength(1)
    expect(s.executions[0]).toContain('Completed')
    expect(s.history).toBeGreaterThan(0)
    expect(s.timeline).toEqual(expect.arrayContaining(['Submitted', 'Running', 'Completed']))
    expect(s.results.length).toBeGreaterThan(0)
    expect(s.reloadedHasId).toBe(true)
    // A finished job offers Rerun, not Stop.
    expect(s.completedActions).toEqual({ stop: false, rerun: true })
  })

  it('stops a long job from its page', () => {
    // A running job offers Stop, not Rerun.
    expect(findings.stopped.runningActions).toEqual({ stop: true, rerun: false })
    expect(findings.stopped.apiState).toBe('Stopped')
    expect(findings.stopped.rerunShown).toBe(true)
  })

  it('asks for a token when the API needs one, keeps it for the session, and shows what a read-only token cannot do', () => {
    expect(findings.auth.asked).toMatch(/needs an API token/)
    expect(findings.auth.readOnly).toMatch(/cannot submit, stop or rerun jobs, nor approve, reject or delete nodes/)
    expect(findings.auth.refused).toMatch(/read-only/)
    expect(findings.auth.jobsOnServer).toBe(0)
    expect(findings.auth.askedAfterReload).toBe(0)
  })

  it('fits a phone-sized screen on every route, labels every control, and starts with a skip link', () => {
    expect(findings.accessibility).toHaveLength(7)
    for (const route of findings.accessibility) {
      expect(route.unlabeled, route.path).toEqual([])
      expect(route.overflow, route.path).toBeLessThanOrEqual(0)
      expect(route.headings, route.path).toBe(1)
      expect(route.firstFocus, route.path).toBe('Skip to content')
    }
  })

  it('follows the system dark mode', () => {
    expect(findings.theme.light).not.toBe(findings.theme.dark)
  })
})
