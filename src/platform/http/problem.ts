import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, type FieldError } from './errors.js'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  errors?: FieldError[]
}

export function problemOf(status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `/docs/problems#${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  }
}

const FRAMEWORK_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
  FST_ERR_BAD_URL: [400, 'bad_request'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long'],
}

function toProblem(error: FastifyError & Partial<AppError>): {
  problem: Problem
  headers?: Record<string, string>
} {
  if (error instanceof AppError) {
    return {
      problem: problemOf(error.status, error.code, error.message, error.details?.errors),
      headers: error.details?.headers,
    }
  }
  if (error.validation) {
    const errors = error.validation.map((issue) => {
      const missing = (issue.params as { missingProperty?: string } | undefined)?.missingProperty
      const extra = (issue.params as { additionalProperty?: string } | undefined)?.additionalProperty
      const base = issue.instancePath || ''
      const path = missing ? `${base}/${missing}` : extra ? `${base}/${extra}` : base
      const message = extra ? 'is not a known field' : (issue.message ?? 'is invalid')
      return { path: `${error.validationContext ?? 'body'}${path}`, message }
    })
    return {
      problem: problemOf(
        400,
        'validation_failed',
        errors.map((e) => `${e.path} ${e.message}`).join('; '),
        errors,
      ),
    }
  }
  const known = error.code ? FRAMEWORK_CODES[error.code] : undefined
  if (known) return { problem: problemOf(known[0], known[1], error.message) }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { problem: problemOf(400, 'malformed_json', 'The request body is not valid JSON') }
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return { problem: problemOf(status, 'bad_request', error.message) }
  }
  return { problem: problemOf(500, 'internal_error', 'An unexpected error occurred') }
}

export function sendProblem(reply: FastifyReply, problem: Problem, headers?: Record<string, string>) {
  if (headers) reply.headers(headers)
  return reply.code(problem.status).type('application/problem+json').send(problem)
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { problem, headers } = toProblem(error)
  if (problem.status >= 500) {
    request.log.error({ err: error, reqId: request.id }, 'unexpected error')
  }
  return sendProblem(reply, problem, headers)
}
