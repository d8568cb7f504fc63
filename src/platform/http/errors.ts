export interface FieldError {
  path: string
  message: string
}

/** The one error type of the application; the error handler turns it into problem+json. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { errors?: FieldError[]; headers?: Record<string, string> },
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found`)
export const unauthenticated = (message = 'Authentication required') =>
  new AppError(401, 'unauthenticated', message)
export const forbidden = (message = 'You are not allowed to do this') =>
  new AppError(403, 'forbidden', message)
export const validationFailed = (errors: FieldError[]) =>
  new AppError(400, 'validation_failed', errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; '), {
    errors,
  })
