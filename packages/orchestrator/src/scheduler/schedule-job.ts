import { scheduleBatchOrService } from './batch-service-scheduler.ts'
import { scheduleDaemon } from './daemon-scheduler.ts'
import { scheduleOps } from './ops-scheduler.ts'
import { emptyPlan, type Plan, type SchedulerInput } from './plan.ts'
import { effectiveTimeouts } from './scheduler-settings.ts'

/** Runs the scheduler of the job's type and returns its plan. */
export function scheduleJob(input: SchedulerInput): Plan {
  const plan = emptyPlan(input.job)
  switch (input.job.Type) {
    case 'ops':
      scheduleOps(input, plan)
      break
    case 'daemon':
      scheduleDaemon(input, plan)
      break
    default:
      scheduleBatchOrService(input, plan)
  }
  const { executionS } = effectiveTimeouts(input.job, input.settings)
  if (executionS > 0) for (const e of plan.newExecutions) plan.deadlines.push(e.CreateTime / 1e6 + executionS * 1000)
  return plan
}
