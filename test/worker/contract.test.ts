import { beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../src/lib/ids'
import { ERROR_CODES } from '../../src/lib/errors'
import { CASES, send, type Request } from './contract-cases'
import { unreachableHere } from './contract-telegram'
import { idKindOf, createWorld, type World } from './contract-world'
import { call } from './helpers'
import {
  accessOf,
  callerOf,
  codeOf,
  expectedStatus,
  placeOf,
  TokensOf,
} from './access-expectations'
import { Contract, loadDocument, type Answer, type Operation } from './openapi-contract'

/**
 * The OpenAPI document walked against the Worker: every operation it lists is driven through
 * its documented success and through the error answers any operation of its kind can be pushed
 * into (no token, a token without access, a parameter, query or body its schema refuses, an id
 * that does not exist, a body that is not JSON or too large). Every answer must be one the
 * document promises: a documented status, its content type, a body its schema accepts (problems
 * carry only the codes listed for their status), and every status it documents is reached. An
 * operation without a case (contract-cases.ts) fails the test, and so does a case for an
 * operation the document no longer has.
 */

let contract: Contract
let world: World
const tokens = new TokensOf()
/** Every problem `type` the walk was answered with: each must lead to its page. */
const seenTypes = new Set<string>()
/** `operationId status` of every answer the walk got. */
const exercised = new Set<string>()

beforeAll(async () => {
  contract = new Contract(await loadDocument())
  world = await createWorld()
}, 60_000)

/**
 * Sends a request and checks the answer by the document, and its status (and problem code) by
 * what the test expects. Returns what is wrong.
 */
async function probe(
  operation: Operation,
  name: string,
  request: Request,
  status: number,
  code?: string,
): Promise<string[]> {
  const answer = await send(operation, request)
  exercised.add(`${operation.operationId} ${answer.status}`)
  const wrong = contract.answerProblems(operation, answer).map((problem) => `${name}: ${problem}`)
  if (answer.status !== status) {
    wrong.push(`${name}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 300)}`)
  }
  const problem = answer.json as { code?: string; type?: string } | undefined
  if (code && problem?.code !== code)
    wrong.push(`${name}: expected code ${code}, got ${problem?.code}`)
  if (answer.status >= 400 && typeof problem?.type === 'string') seenTypes.add(problem.type)
  return wrong
}

/** An address whose wrong tokens put its network past the limit (src/services/sign-in-limits.ts). */
const GUESSING_NETWORK = '2001:db8:4290::1'

/**
 * Sends wrong tokens from `GUESSING_NETWORK` until one is refused for the limit: one request
 * while the limit's ten-minute window lasts, twenty-one once a new window begins.
 */
async function keepNetworkGuessing() {
  for (let attempt = 0; attempt <= 20; attempt++) {
    const answer = await call('GET', '/api/communities', {
      token: `guess-${attempt}-0123456789abcdef`,
      headers: { 'cf-connecting-ip': GUESSING_NETWORK },
    })
    if (answer.status === 429) return
  }
  throw new Error('twenty-one wrong tokens from one network were not refused')
}

/** Methods that carry a body, which the API's middleware reads before any operation. */
const BODY_METHODS = ['post', 'put', 'patch', 'delete']

/** The probes every operation of its kind gets, built from the document and its success. */
async function genericProbes(operation: Operation, success: Request) {
  const probes: Array<{ name: string; request: Request; status: number; code?: string }> = []
  const definition = operation.definition
  const documents = (status: number) => String(status) in definition.responses
  const underApi = operation.path.startsWith('/api/')
  if (definition.security?.length) {
    probes.push({
      name: 'no token',
      request: { ...success, token: null },
      status: 401,
      code: 'unauthorized',
    })
  }
  // Refusals as the operation's declared access has them (access-expectations.ts): what lies in
  // another community is hidden (404), what a token sees but may not do is forbidden (403).
  const access = accessOf(operation)
  const place = await placeOf(access, success)
  const community = place?.communityId ?? world.open.id
  for (const [name, holder] of [
    ['a token of another community', world.outsider],
    ['the admin of another group of the community', await tokens.groupAdmin(community)],
    ['an admin of the community', await tokens.communityAdmin(community)],
  ] as const) {
    const caller = callerOf(holder)
    const status = expectedStatus(access, caller, place, 0)
    if (status >= 400) {
      probes.push({
        name,
        request: { ...success, token: holder.token },
        status,
        code: codeOf(status),
      })
    }
  }
  if (underApi) {
    probes.push({
      name: 'an unknown query parameter',
      request: { ...success, query: { ...success.query, unexpected: '1' } },
      status: 400,
      code: 'validation_failed',
    })
  }
  const pathParameters = (definition.parameters ?? []).filter((p) => p.in === 'path')
  const first = pathParameters[0]
  if (first && underApi) {
    probes.push({
      name: `{${first.name}} malformed`,
      request: { ...success, pathParams: { ...success.pathParams, [first.name]: 'not-an-id' } },
      status: 400,
      code: 'validation_failed',
    })
  }
  const kind = idKindOf(first?.schema.pattern)
  if (first && kind) {
    probes.push({
      name: `{${first.name}} missing`,
      request: { ...success, pathParams: { ...success.pathParams, [first.name]: newId(kind) } },
      status: 404,
      code: 'not_found',
    })
  }
  const json = definition.requestBody?.content['application/json']
  if (json && success.rawBody === undefined) {
    const headers = { ...success.headers, 'content-type': 'application/json' }
    probes.push({
      name: 'malformed JSON',
      request: { ...success, headers, rawBody: '{"name": ' },
      status: 400,
      code: 'malformed_json',
    })
    probes.push({
      name: 'an unknown field',
      request: { ...success, body: { ...(success.body as object), unexpected: true } },
      status: 400,
      code: 'validation_failed',
    })
  }
  // What the API's middleware refuses before any operation reads the request (the body limit,
  // src/middleware/json-body.ts) every operation it guards must document: tried on each, not
  // only where documented.
  const guarded = underApi && BODY_METHODS.includes(operation.method)
  if (json && underApi && definition.requestBody?.required && success.rawBody === undefined) {
    // A body the document requires is one the API refuses to go without.
    probes.push({
      name: 'no body',
      request: { ...success, body: undefined },
      status: 400,
      code: 'validation_failed',
    })
  }
  if (guarded && !json) {
    // An operation that takes no body refuses one that says anything (src/middleware/json-body.ts).
    const headers = { ...success.headers, 'content-type': 'application/json' }
    for (const [rawBody, code] of [
      ['{', 'malformed_json'],
      ['{"x":1}', 'validation_failed'],
      ['null', 'validation_failed'],
      ['[1,2]', 'validation_failed'],
    ]) {
      probes.push({
        name: `a body it does not take: ${rawBody}`,
        request: { ...success, headers, rawBody },
        status: 400,
        code,
      })
    }
  }
  if (documents(415) || guarded) {
    probes.push({
      name: 'a body that is not JSON',
      request: {
        ...success,
        headers: { ...success.headers, 'content-type': 'text/plain' },
        rawBody: 'hello',
      },
      status: 415,
      code: 'unsupported_media_type',
    })
  }
  if ((documents(413) || guarded) && success.rawBody === undefined) {
    probes.push({
      // Past every operation's limit: 64 KiB, 256 KiB for several links at once.
      name: 'a body over its limit',
      request: {
        ...success,
        headers: { ...success.headers, 'content-type': 'application/json' },
        rawBody: JSON.stringify({ padding: 'x'.repeat(260 * 1024) }),
      },
      status: 413,
      code: 'payload_too_large',
    })
  }
  if (definition.security?.length) {
    // First, so it runs while the network is known to be past its limit.
    await keepNetworkGuessing()
    probes.unshift({
      name: 'ADMIN_TOKEN from a network that sent twenty wrong tokens',
      request: {
        ...success,
        token: undefined,
        headers: { ...success.headers, 'cf-connecting-ip': GUESSING_NETWORK },
      },
      status: 429,
      code: 'rate_limited',
    })
  }
  return probes
}

describe('the OpenAPI document, walked against the Worker', () => {
  it('has a case for every operation it lists, and no case for one it does not', () => {
    const documented = contract.operations.map((operation) => operation.operationId).sort()
    expect(Object.keys(CASES).sort()).toEqual(documented)
  })

  for (const operationId of Object.keys(CASES)) {
    it(`${operationId}: its success and its errors are answered as documented`, async () => {
      const operation = contract.operation(operationId)
      const scenario = await CASES[operationId]!(world)
      const wrong: string[] = []
      for (const extra of [
        ...(await genericProbes(operation, scenario.request)),
        ...(scenario.probes ?? []),
      ]) {
        wrong.push(...(await probe(operation, extra.name, extra.request, extra.status, extra.code)))
      }
      wrong.push(...(await probe(operation, 'success', scenario.request, scenario.status)))
      expect(wrong).toEqual([])
    })
  }

  it('reached every status the document promises, for every operation', () => {
    const unreached = contract.operations.flatMap((operation) =>
      Object.keys(operation.definition.responses)
        .filter((status) => !exercised.has(`${operation.operationId} ${status}`))
        .filter((status) => !unreachableHere(operation.operationId, status))
        .map((status) => `${operation.operationId} ${status}`),
    )
    expect(unreached).toEqual([])
  })

  it('links every problem it answered with to a page that explains its code', async () => {
    expect(seenTypes.size).toBeGreaterThan(5)
    for (const type of seenTypes) {
      const url = new URL(type)
      expect(url.origin).toBe('https://join.example.com')
      const page = await call('GET', url.pathname, { token: null })
      expect(page.status, type).toBe(200)
      expect(page.headers.get('content-type')).toContain('text/html')
      expect(page.text).toContain(`id="${url.pathname.split('/').pop()}"`)
    }
  })
})

describe('what a change leaves out', () => {
  it('stays as it was: an announcement keeps its audience when only its text changes', async () => {
    const created = await call('POST', `/api/communities/${world.open.id}/announcements`, {
      body: {
        body: 'For the group only',
        audience: { groupIds: [world.group.id] },
        sendAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
    })
    expect(created.status, created.text).toBe(201)
    const changed = await call('PATCH', `/api/announcements/${created.json.id}`, {
      body: { body: 'For the group only, still' },
    })
    expect(changed.status, changed.text).toBe(200)
    expect(changed.json.audience).toEqual({ groupIds: [world.group.id] })
  })
})

describe('the problem pages', () => {
  it('list every code of the catalogue with its status and meaning, in English', async () => {
    const page = await call('GET', '/api/problems', {
      token: null,
      headers: { accept: 'text/html' },
    })
    expect(page.status).toBe(200)
    expect(page.text).toContain('<html lang="en">')
    for (const code of ERROR_CODES) expect(page.text).toContain(`id="${code}"`)
    expect(page.text).toContain('HTTP 409')
  })

  it('explain one code on its own page, and answer 404 for a code there is not', async () => {
    const page = await call('GET', '/api/problems/max_uses_below_uses', { token: null })
    expect(page.status).toBe(200)
    expect(page.text).toContain('cannot be set below the number of joins')
    const missing = await call('GET', '/api/problems/no_such_code', { token: null })
    expect(missing.status).toBe(404)
    expect(missing.json.code).toBe('not_found')
  })
})

describe('the checker itself', () => {
  /** A 201 from the join, with the answer as given. */
  function joinAnswer(json: unknown, contentType = 'application/json', status = 201): Answer {
    const text = JSON.stringify(json)
    return { status, headers: new Headers({ 'content-type': contentType }), text, json }
  }
  const right = {
    status: 'active',
    joinRequestId: 'jr_01jd0000000000000000000000',
    memberId: 'mem_01jd0000000000000000000000',
    statusUrl: 'https://join.example.com/s/x',
  }

  it('accepts a right answer of the join', () => {
    expect(
      contract.answerProblems(contract.operation('joinThroughInvite'), joinAnswer(right)),
    ).toEqual([])
  })

  it('refuses a wrong body, status, content type or problem code', () => {
    const join = contract.operation('joinThroughInvite')
    expect(contract.answerProblems(join, joinAnswer({ ...right, status: 'joined' }))).not.toEqual(
      [],
    )
    expect(contract.answerProblems(join, joinAnswer({ ...right, memberId: 7 }))).not.toEqual([])
    const { statusUrl: _, ...withoutStatusUrl } = right
    expect(contract.answerProblems(join, joinAnswer(withoutStatusUrl))).not.toEqual([])
    // A field the document does not name is a promise it does not make.
    expect(contract.answerProblems(join, joinAnswer({ ...right, leaveToken: 'x' }))).not.toEqual([])
    expect(contract.answerProblems(join, joinAnswer(right, 'text/plain'))).not.toEqual([])
    expect(contract.answerProblems(join, joinAnswer(right, 'application/json', 418))).not.toEqual(
      [],
    )
    const problem = {
      type: 'https://join.example.com/api/problems/slug_taken',
      title: 'Slug already taken',
      status: 404,
      detail: 'A code this status does not carry',
      code: 'slug_taken',
    }
    expect(
      contract.answerProblems(join, joinAnswer(problem, 'application/problem+json', 404)),
    ).not.toEqual([])
    expect(
      contract.answerProblems(
        join,
        joinAnswer({ ...problem, code: 'not_found' }, 'application/problem+json', 404),
      ),
    ).toEqual([])
  })

  it('tells a valid request from an invalid one', () => {
    const update = contract.operation('updateCommunity')
    const id = { id: 'cmt_01jd0000000000000000000000' }
    expect(
      contract.requestProblems(update, { pathParams: id, query: {}, body: { name: 'A' } }),
    ).toEqual([])
    expect(contract.requestProblems(update, { pathParams: id, query: {}, body: {} })).not.toEqual(
      [],
    )
    expect(
      contract.requestProblems(update, {
        pathParams: id,
        query: { utm: 'x' },
        body: { name: 'A' },
      }),
    ).not.toEqual([])
    expect(
      contract.requestProblems(update, { pathParams: id, query: {}, body: { name: ' \u200e ' } }),
    ).not.toEqual([])
  })
})
