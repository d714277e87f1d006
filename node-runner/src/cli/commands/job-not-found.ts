import { NotFoundError, ShoalError } from '@shoal/models'

/**
 * Rethrows "not found" from the API as `job <id> not found` with what to do. A 404 about
 * something inside the job (a version, an execution) keeps the server's own message.
 */
export function jobNotFound(id: string) {
  return (error: unknown): never => {
    if (error instanceof NotFoundError || (error instanceof ShoalError && error.status === 404)) {
      if (/\bversion\b|\bexecution\b/i.test((error as Error).message)) throw error
      throw new NotFoundError(`job ${id} not found`, { cause: error, hint: 'List jobs with `shoal job list`.' })
    }
    throw error
  }
}
