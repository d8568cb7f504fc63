import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    // Unknown fields are rejected, not silently dropped.
    removeAdditional: false,
    allErrors: false,
    strict: false,
  })
  addFormats.default(ajv)
  return ajv
}

const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * The JSON pointer of the first string (value or key) holding U+0000, if any. The pointer is built
 * only on the way back from a find: every valid input walks here, and a clean walk allocates nothing.
 */
function nulAt(value: unknown): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? '' : undefined
  if (value === null || typeof value !== 'object') return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulAt(value[i])
      if (found !== undefined) return `/${i}${found}`
    }
    return undefined
  }
  for (const key in value) {
    const found = key.includes('\u0000') ? '' : nulAt((value as Record<string, unknown>)[key])
    if (found !== undefined) return `/${pointer(key)}${found}`
  }
  return undefined
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, so input carrying it is refused here, as a validation
 * error, instead of failing later as a database error (a 500).
 */
function refusingNul(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown, context?: never) => {
    if (!validate(data, context)) {
      checked.errors = validate.errors
      return false
    }
    const at = nulAt(data)
    if (at !== undefined) {
      const error: ErrorObject = {
        instancePath: at,
        schemaPath: '#',
        keyword: 'nul',
        params: {},
        message: 'must not contain NUL (U+0000) characters',
      }
      checked.errors = [error]
      return false
    }
    checked.errors = null
    return true
  }) as ValidateFunction
  // Fastify hands Ajv validators their parent object so that coercion can replace a root value.
  checked.schemaEnv = validate.schemaEnv
  return checked
}

/**
 * Bodies are validated strictly (a string is not a number); query strings, params and headers arrive
 * as text and are coerced to their declared types.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false)
  const coercing = makeAjv(true)
  const cache = new WeakMap<object, ValidateFunction>()
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing
    const key = schema as object
    let validate = httpPart === 'body' ? cache.get(key) : undefined
    if (!validate) {
      validate = refusingNul(ajv.compile(schema as object))
      if (httpPart === 'body') cache.set(key, validate)
    }
    return validate
  }
}
