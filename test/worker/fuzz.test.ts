import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { hmacSha256, toHex } from '../../src/lib/crypto'
import { createWorld, idKindOf, type World } from './contract-world'
import { call } from './helpers'
import {
  Contract,
  loadDocument,
  urlOf,
  type Operation,
  type RequestParts,
} from './openapi-contract'
import { arbitraryFor, type ArbitraryOptions } from './schema-arbitraries'

/**
 * Requests drawn from the OpenAPI document itself (fast-check arbitraries from its schemas:
 * parameters, queries, bodies, mostly valid, some not) sent to the Worker, every answer checked
 * by the document: never a 5xx; a documented status, content type and body; an invalid request
 * (by the document) never accepted; a valid one never refused with 400 unless for a rule its 400
 * response names (`x-validation-rules`) on the fields the problem names.
 *
 * Deterministic in what it sends (a fixed seed per operation, printed with any failure) and
 * bounded: a fixed number of runs per operation, destructive operations last.
 */

const SEED = 20_261_124
/** Requests per operation: drawn by the schemas, and drawn wild (some refused by them). */
const RUNS = { valid: 20, wild: 20 }
const WILDNESS = 15
const APP_SECRET = 'test-app-secret-0123456789'

interface Drawn extends RequestParts {
  headers: Record<string, string>
  /** The body as sent, when it is not the JSON of `body` (a malformed one). */
  rawBody?: string
}

let contract: Contract
let world: World

beforeAll(async () => {
  contract = new Contract(await loadDocument())
  world = await createWorld()
}, 60_000)

/** Existing ids and codes for strings whose pattern names their kind, or an invite code. */
function knownValues(schema: { pattern?: string }): string[] {
  const kind = idKindOf(schema.pattern)
  if (kind) return world.ids[kind] ?? []
  return []
}

function requestArbitrary(operation: Operation, wild: boolean): fc.Arbitrary<Drawn> {
  const options: ArbitraryOptions = {
    resolve: (schema) => contract.resolve(schema),
    wildness: wild ? WILDNESS : 0,
    known: knownValues,
  }
  const parameters = operation.definition.parameters ?? []
  const text = (value: unknown) =>
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : JSON.stringify(value)
  const pathParams = fc.record(
    Object.fromEntries(
      parameters
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => [
          parameter.name,
          parameter.name === 'code'
            ? fc.oneof(
                { arbitrary: fc.constantFrom(...world.codes), weight: 4 },
                { arbitrary: arbitraryFor(parameter.schema, options).map(text), weight: 1 },
              )
            : arbitraryFor(parameter.schema, options).map(text),
        ]),
    ),
  )
  const queryParameters = parameters.filter((parameter) => parameter.in === 'query')
  const query = fc
    .tuple(
      fc.record(
        Object.fromEntries(
          queryParameters.map((parameter) => [
            parameter.name,
            arbitraryFor(parameter.schema, options).map(text),
          ]),
        ),
        { requiredKeys: queryParameters.filter((p) => p.required).map((p) => p.name) },
      ),
      wild
        ? fc.oneof(
            { arbitrary: fc.constant(null), weight: 4 },
            { arbitrary: fc.constantFrom('utm_source', 'debug', 'limit '), weight: 1 },
          )
        : fc.constant(null),
    )
    .map(
      ([values, unknown]) =>
        (unknown ? { ...values, [unknown]: '1' } : values) as Record<string, string>,
    )
  const json = operation.definition.requestBody?.content['application/json']
  const required = operation.definition.requestBody?.required ?? false
  const body: fc.Arbitrary<{ body?: unknown; rawBody?: string }> = json
    ? fc.oneof(
        {
          arbitrary: arbitraryFor(json.schema, options).map((value) => ({ body: value })),
          weight: 10,
        },
        { arbitrary: fc.constant({}), weight: required ? 0 : 1 },
        { arbitrary: fc.constant({ rawBody: '{"unfinished": ' }), weight: wild ? 1 : 0 },
      )
    : fc.constant({})
  return fc
    .tuple(pathParams, query, body, fc.integer({ min: 1, max: 65_000 }))
    .map(([path, values, sent, address]) => ({
      pathParams: path as Record<string, string>,
      query: values,
      ...sent,
      // Joins are limited per address: each draw comes from an address of its own.
      headers: { 'cf-connecting-ip': `2001:db8::${address.toString(16)}` },
    }))
}

/** What is wrong with the Worker's answer to `request`, by the document. */
async function answerProblems(
  operation: Operation,
  request: Drawn,
  wild: boolean,
): Promise<string[]> {
  const headers = { ...request.headers }
  const raw =
    request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body))
  if (raw !== undefined) headers['content-type'] = 'application/json'
  const signed = (operation.definition.parameters ?? []).some(
    (p) => p.name === 'x-hub-signature-256',
  )
  if (signed && raw !== undefined) {
    // Meta's signature over the raw body (the operation's description says how): drawn wild,
    // it is left off, and the answer is 401.
    headers['x-hub-signature-256'] = wild
      ? 'sha256=0000'
      : `sha256=${toHex(await hmacSha256(APP_SECRET, new TextEncoder().encode(raw)))}`
  }
  const invalid =
    request.rawBody !== undefined
      ? ['the body is not JSON']
      : contract.requestProblems(operation, request)
  const answer = await call(operation.method.toUpperCase(), urlOf(operation, request), {
    rawBody: raw,
    headers,
  })
  tally(operation, invalid.length === 0 ? 'valid' : 'invalid', answer.status)
  const wrong = contract.answerProblems(operation, answer)
  if (answer.status >= 500) wrong.push(`a ${answer.status}: ${answer.text.slice(0, 300)}`)
  if (invalid.length > 0 && answer.status < 400) {
    wrong.push(`invalid by the document (${invalid.join('; ')}), yet answered ${answer.status}`)
  }
  if (invalid.length === 0 && answer.status === 400) {
    const problem = answer.json as { code?: string; errors?: Array<{ path: string }> }
    const rules = contract.validationRules(operation)
    const paths = (problem.errors ?? []).map((error) => error.path)
    const named =
      problem.code === 'validation_failed' &&
      paths.length > 0 &&
      paths.every((path) => rules.some((rule) => path === rule || path.startsWith(`${rule}.`)))
    if (!named) wrong.push(`valid by the document, yet refused: ${answer.text.slice(0, 400)}`)
  }
  return wrong
}

/** How many requests each operation got, valid or not by the document, by the status answered. */
const tallies = new Map<string, Map<string, number>>()

function tally(operation: Operation, validity: 'valid' | 'invalid', status: number) {
  const counts = tallies.get(operation.operationId) ?? new Map<string, number>()
  const key = `${validity} ${status}`
  counts.set(key, (counts.get(key) ?? 0) + 1)
  tallies.set(operation.operationId, counts)
}

/** Operations that take things away run last, so the others find the world as it was made. */
function destructiveLast(operations: Operation[]): Operation[] {
  const rank = (operation: Operation) =>
    operation.operationId === 'deleteCommunity'
      ? 2
      : operation.method === 'delete' || /\/(revoke|rotate|cancel|demote)$/.test(operation.path)
        ? 1
        : 0
  return [0, 1, 2].flatMap((r) => operations.filter((operation) => rank(operation) === r))
}

describe('requests drawn from the document', () => {
  it('are all answered as the document promises', async () => {
    const failures: string[] = []
    for (const [index, operation] of destructiveLast(contract.operations).entries()) {
      for (const wild of [false, true]) {
        const seed = SEED + index * 2 + (wild ? 1 : 0)
        const details = await fc.check(
          fc.asyncProperty(
            fc.limitShrink(requestArbitrary(operation, wild), 20),
            async (request) => {
              const wrong = await answerProblems(operation, request, wild)
              if (wrong.length > 0) throw new Error(wrong.join('\n'))
            },
          ),
          { seed, numRuns: wild ? RUNS.wild : RUNS.valid },
        )
        if (details.failed) {
          failures.push(
            `${operation.operationId} (${wild ? 'wild' : 'valid'}, seed ${seed}):\n${fc.defaultReportMessage(details)}`,
          )
        }
      }
    }
    // What each operation was sent and answered, to read a failure by.
    const summary = [...tallies]
      .map(([id, counts]) => `${id}: ${[...counts].map(([key, n]) => `${key}×${n}`).join(', ')}`)
      .join('\n')
    expect(failures, `${failures.join('\n\n')}\n\nSent, by operation:\n${summary}`).toEqual([])
  }, 180_000)
})
