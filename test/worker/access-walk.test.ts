import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  assertEveryOperationDeclared,
  declaredOperations,
  defineOperation,
} from '../../src/api/operation'
import type { AppEnv } from '../../src/env'
import { POLICY } from '../../src/services/access'
import {
  accessOf,
  callerOf,
  codeOf,
  expectedStatus,
  placeOf,
  TokensOf,
  type Caller,
} from './access-expectations'
import { CASES, send } from './contract-cases'
import { createWorld, type TokenHolder, type World } from './contract-world'
import { call, createCommunity, createToken } from './helpers'
import { Contract, loadDocument } from './openapi-contract'

/**
 * Every operation of the OpenAPI document the Worker serves, called by each kind of caller: no
 * token, a revoked token, a group admin and an admin of the community its target lies in, and an
 * admin of another community. What each should get is computed from the operation's declared
 * access (`x-access`) and the policy table (access-expectations.ts), never written per route:
 * 401 without a valid token, 404 for what lies in a community the token may not see (as for an
 * id that does not exist), 403 for what it sees but its role may not do, else the success of the
 * operation's contract case (contract-cases.ts).
 */

let contract: Contract
let world: World
let revoked: string
let elsewhere: TokenHolder
const tokens = new TokensOf()

beforeAll(async () => {
  contract = new Contract(await loadDocument())
  world = await createWorld()
  const gone = await createToken({ role: 'community_admin', communityId: world.open.id })
  expect((await call('DELETE', `/api/tokens/${gone.id}`)).status).toBe(204)
  revoked = gone.token
  elsewhere = await createToken({
    role: 'community_admin',
    communityId: (await createCommunity()).id,
  })
}, 60_000)

describe('every operation declares its access', () => {
  it('names an action of the policy with its audience, or says it is open', () => {
    const kinds = [
      ...['community', 'group', 'invite', 'joinRequest', 'member', 'announcement'],
      ...[
        'webhook',
        'token',
        'teamInvitation',
        'telegramJoinRequest',
        'installation',
        'caller',
        'body',
      ],
    ]
    const wrong = contract.operations.flatMap((operation) => {
      const access = (operation.definition as { 'x-access'?: ReturnType<typeof accessOf> })[
        'x-access'
      ]
      if (!access) return [`${operation.operationId}: no x-access`]
      if (access.action === null) {
        const open =
          (access.on === 'public' && access.audience === 'anyone') ||
          (access.on === 'signed_in' && access.audience === 'any_token')
        return open ? [] : [`${operation.operationId}: ${JSON.stringify(access)}`]
      }
      const right = POLICY[access.action] === access.audience && kinds.includes(access.on)
      return right ? [] : [`${operation.operationId}: ${JSON.stringify(access)}`]
    })
    expect(wrong).toEqual([])
  })

  it('says who may call it in its description, and a public one needs no token', () => {
    for (const operation of contract.operations) {
      const { description, security } = operation.definition as {
        description?: string
        security?: unknown[]
      }
      expect(description, operation.operationId).toMatch(/Access\b/)
      const open = accessOf(operation).audience === 'anyone'
      expect(Boolean(security?.length), operation.operationId).toBe(!open)
    }
  })

  it('refuses to build an app with an operation that declares none', () => {
    const app = new OpenAPIHono<AppEnv>()
    const openapi = declaredOperations(app)
    const responses = { 204: { description: 'Nothing' } }
    expect(() =>
      // @ts-expect-error: an operation without `access` does not compile
      defineOperation({ method: 'get', path: '/undeclared', responses }),
    ).toThrow()
    const undeclared = createRoute({ method: 'get', path: '/undeclared', responses })
    // @ts-expect-error: nor does registering a route that was not declared
    expect(() => openapi(undeclared, (c) => c.body(null, 204))).toThrow(/declares no access/)
    // Around the helper, the app refuses to mount it.
    app.openapi(undeclared, (c) => c.body(null, 204))
    expect(() => assertEveryOperationDeclared(app)).toThrow(/GET \/undeclared declares no access/)
  })
})

describe('the access walk', () => {
  it('covers every operation of the document', () => {
    const documented = contract.operations.map((operation) => operation.operationId).sort()
    expect(Object.keys(CASES).sort()).toEqual(documented)
  })

  for (const operationId of Object.keys(CASES)) {
    it(`${operationId}: each caller gets what the declared access allows`, async () => {
      const operation = contract.operation(operationId)
      const access = accessOf(operation)
      const scenario = await CASES[operationId]!(world)
      const place = await placeOf(access, scenario.request)
      const community = place?.communityId ?? world.open.id
      const callers: Array<[name: string, token: string, caller: Caller | null]> = [
        ['no token', '', null],
        ['a revoked token', revoked, null],
      ]
      for (const [name, holder] of [
        ['a group admin of the community', await tokens.groupAdmin(community, place?.groupId)],
        ['a community admin of the community', await tokens.communityAdmin(community)],
        ['an admin of another community', elsewhere],
      ] as const) {
        callers.push([name, holder.token, callerOf(holder)])
      }
      const wrong: string[] = []
      for (const [name, token, caller] of callers) {
        const request = { ...scenario.request, token: token || null }
        const status = expectedStatus(access, caller, place, scenario.status)
        const answer = await send(operation, request)
        const code = (answer.json as { code?: string } | undefined)?.code
        if (answer.status !== status || (codeOf(status) && code !== codeOf(status))) {
          wrong.push(
            `${name}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 200)}`,
          )
        }
        wrong.push(...contract.answerProblems(operation, answer).map((p) => `${name}: ${p}`))
      }
      expect(wrong).toEqual([])
    })
  }
})
