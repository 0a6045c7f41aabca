import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { call } from './helpers'

/**
 * The OpenAPI document as a test oracle: which operations there are, whether a request is valid
 * by it, and whether an answer is one it promises (a documented status, its content type, a
 * body its schema accepts). Schemas are checked by Ajv (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1), with `$ref`s to components resolved.
 */

export type Schema = Record<string, any>

export interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, OperationObject>>
  components: { schemas: Record<string, Schema> }
}

export interface ParameterObject {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: Schema
}

export interface ResponseObject {
  description: string
  content?: Record<string, { schema?: Schema }>
  headers?: Record<string, { schema?: Schema }>
  'x-validation-rules'?: Record<string, string>
}

export interface OperationObject {
  operationId: string
  security?: Array<Record<string, string[]>>
  parameters?: ParameterObject[]
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }
  responses: Record<string, ResponseObject>
}

export interface Operation {
  operationId: string
  method: string
  /** The path template, `/api/communities/{id}`. */
  path: string
  definition: OperationObject
}

/** An answer as `call()` gives it. */
export interface Answer {
  status: number
  headers: Headers
  text: string
  json?: unknown
}

/** The parts of a request, before they are put on the wire. */
export interface RequestParts {
  pathParams: Record<string, string>
  query: Record<string, string>
  /** Absent: no body sent. */
  body?: unknown
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']
const COMPONENTS = 'https://contract.test/components/'
const OPEN = 'https://contract.test/open-components/'

export async function loadDocument(): Promise<OpenApiDocument> {
  const response = await call('GET', '/api/openapi.json', { token: null })
  if (response.status !== 200) throw new Error(`The document answered ${response.status}`)
  return response.json as OpenApiDocument
}

/** Every operation of the document, in its order. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const definition = item[method]
      return definition ? [{ operationId: definition.operationId, method, path, definition }] : []
    }),
  )
}

/** The documented request media type, without parameters: `application/json`. */
function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase()
}

/**
 * A schema as the checker reads it: `#/components/schemas/X` becomes an absolute URI Ajv knows
 * the component by, and an object that lists its properties has no others (a field the document
 * does not name is a promise it does not make). An `allOf` holds its whole to the properties its
 * parts name (`unevaluatedProperties`), and refers to open forms of its parts (`OPEN`), as each
 * names only some of them.
 */
function forChecking(schema: unknown, open = false): any {
  if (Array.isArray(schema)) return schema.map((item) => forChecking(item))
  if (!schema || typeof schema !== 'object') return schema
  const checked: Record<string, unknown> = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string'
        ? value.replace('#/components/schemas/', open ? OPEN : COMPONENTS)
        : key === 'allOf' && Array.isArray(value)
          ? value.map((part) => forChecking(part, true))
          : key === 'properties' && value && typeof value === 'object'
            ? Object.fromEntries(
                Object.entries(value).map(([name, property]) => [name, forChecking(property)]),
              )
            : forChecking(value),
    ]),
  )
  if (checked.allOf && !('unevaluatedProperties' in checked)) {
    checked.unevaluatedProperties = false
  } else if (checked.properties && !('additionalProperties' in checked) && !open) {
    checked.additionalProperties = false
  }
  return checked
}

export class Contract {
  readonly operations: Operation[]
  private readonly ajv: Ajv2020
  private readonly validators = new WeakMap<object, ValidateFunction>()

  constructor(readonly document: OpenApiDocument) {
    this.operations = operationsOf(document)
    this.ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats(this.ajv)
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      this.ajv.addSchema({ ...forChecking(schema), $id: COMPONENTS + name })
      this.ajv.addSchema({ ...forChecking(schema, true), $id: OPEN + name })
    }
  }

  operation(operationId: string): Operation {
    const found = this.operations.find((operation) => operation.operationId === operationId)
    if (!found) throw new Error(`No operation ${operationId} in the document`)
    return found
  }

  /** A component or inline schema of the document, resolved to its definition. */
  resolve(schema: Schema): Schema {
    const ref = schema.$ref as string | undefined
    if (!ref) return schema
    const name = ref.replace('#/components/schemas/', '')
    const target = this.document.components.schemas[name]
    if (!target) throw new Error(`No component ${name}`)
    return this.resolve(target)
  }

  /** Ajv's complaints about `value` by `schema`; empty when it is valid. */
  schemaErrors(schema: Schema, value: unknown): string[] {
    let validate = this.validators.get(schema)
    if (!validate) {
      validate = this.ajv.compile(forChecking(schema))
      this.validators.set(schema, validate)
    }
    if (validate(value)) return []
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(root)'} ${error.message ?? error.keyword}`,
    )
  }

  /**
   * What is wrong with a request by the document (empty: it is valid). Query values are text on
   * the wire: they are read as the numbers or booleans their schema asks for, as the Worker does.
   */
  requestProblems(operation: Operation, request: RequestParts): string[] {
    const problems: string[] = []
    const parameters = operation.definition.parameters ?? []
    for (const parameter of parameters) {
      if (parameter.in !== 'path' && parameter.in !== 'query') continue
      const sent = parameter.in === 'path' ? request.pathParams : request.query
      const value = sent[parameter.name]
      if (value === undefined) {
        if (parameter.required) problems.push(`${parameter.in} ${parameter.name} missing`)
        continue
      }
      const errors = this.schemaErrors(parameter.schema, this.queryValue(parameter.schema, value))
      problems.push(...errors.map((error) => `${parameter.in} ${parameter.name}: ${error}`))
    }
    if (operation.path.startsWith('/api/')) {
      const known = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name))
      for (const name of Object.keys(request.query)) {
        if (!known.has(name)) problems.push(`query ${name} is not a parameter of the operation`)
      }
    }
    const body = operation.definition.requestBody
    if (request.body === undefined) {
      if (body?.required) problems.push('body missing')
    } else if (body) {
      const schema = body.content['application/json']?.schema
      if (schema) problems.push(...this.schemaErrors(schema, request.body).map((e) => `body ${e}`))
    }
    return problems
  }

  /** A query string value as its schema types it: `"20"` for an integer is 20. */
  private queryValue(schema: Schema, value: string): unknown {
    const resolved = this.resolve(schema)
    const types = [resolved.type ?? []].flat()
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) {
      return Number(value)
    }
    if (types.includes('boolean') && (value === 'true' || value === 'false')) {
      return value === 'true'
    }
    return value
  }

  /**
   * What is wrong with an answer by the document (empty: it is one the operation promises): its
   * status is documented, its content type is one documented for that status (or there is no
   * body where none is documented), its body is valid by that content's schema, and documented
   * headers are there.
   */
  answerProblems(operation: Operation, answer: Answer): string[] {
    const at = `${operation.method.toUpperCase()} ${operation.path} ${answer.status}`
    const documented = operation.definition.responses[String(answer.status)]
    if (!documented) {
      return [`${at}: status not documented; body ${answer.text.slice(0, 300)}`]
    }
    const problems: string[] = []
    for (const name of Object.keys(documented.headers ?? {})) {
      if (!answer.headers.has(name)) problems.push(`${at}: header ${name} missing`)
    }
    const contents = documented.content ?? {}
    const type = mediaType(answer.headers.get('content-type'))
    if (Object.keys(contents).length === 0) {
      if (answer.text !== '') problems.push(`${at}: a body where none is documented`)
      return problems
    }
    const content = contents[type]
    if (!content) {
      problems.push(`${at}: content type ${type || '(none)'}, documented: ${Object.keys(contents)}`)
      return problems
    }
    const value = type.endsWith('json') ? parseJson(answer.text) : answer.text
    if (value === NOT_JSON) return [...problems, `${at}: the body is not JSON`]
    if (content.schema) {
      const errors = this.schemaErrors(content.schema, value)
      problems.push(...errors.map((error) => `${at}: ${error}; body ${answer.text.slice(0, 300)}`))
    }
    return problems
  }

  /** The fields an operation's 400 response names rules for, beyond its schemas. */
  validationRules(operation: Operation): string[] {
    return Object.keys(operation.definition.responses['400']?.['x-validation-rules'] ?? {})
  }
}

const NOT_JSON = Symbol('not JSON')

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

/** Puts a request's parameters into its path template and query string. */
export function urlOf(operation: Operation, request: RequestParts): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(request.pathParams[name] ?? ''),
  )
  const query = new URLSearchParams(request.query).toString()
  return query ? `${path}?${query}` : path
}
