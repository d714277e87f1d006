import { scheduleBatchOrService } from './batch-service-scheduler.ts'
import { scheduleDaemon } from './daemon-scheduler.ts'
import { scheduleOps } from './ops-scheduler.ts'
import { emptyPlan, type Plan, type SchedulerInput } from './plan.ts'

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
  return plan
}
