import { Ajv, type ValidateFunction } from 'ajv'
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
      validate = ajv.compile(schema as object)
      if (httpPart === 'body') cache.set(key, validate)
    }
    return validate
  }
}
