import { beforeAll, describe, expect, it } from 'vitest'
import { newId, type IdPrefix } from '../../src/lib/ids'
import { dashboardApp } from '../../src/pages/dashboard/index'
import { csrfOf, page, post, signIn } from './dashboard-helpers'
import { call, createCommunity, createGroup, createToken, expectProblem } from './helpers'

interface Parameter {
  name: string
  in: string
  required?: boolean
  schema?: { pattern?: string }
}

interface Operation {
  method: string
  path: string
  operationId: string
  parameters: Parameter[]
  hasBody: boolean
  documents404: boolean
}

/** What the `not_found` problem names, by the kind of the `{id}` in the path. */
const NOUNS: Record<string, string> = {
  cmt: 'Community',
  grp: 'Group',
  inv: 'Invite',
  jr: 'Join request',
  mem: 'Member',
  ann: 'Announcement',
  whk: 'Webhook endpoint',
  tok: 'Token',
  tin: 'Invitation',
  tjr: 'Join request',
}

/**
 * A body valid for each operation that takes one, so what answers is the missing parent and
 * not validation (which runs first). An operation added with a body needs an entry here.
 */
function validBody(operationId: string): unknown {
  const bodies: Record<string, unknown> = {
    updateCommunity: { name: 'Renamed' },
    demoteCommunityAdmin: {},
    createGroup: { name: 'Trail runners' },
    updateGroup: { name: 'Trail runners' },
    createInvite: { label: 'Poster' },
    createInvites: { links: [{ label: 'Poster' }] },
    updateInvite: { label: 'Poster' },
    duplicateInvite: { source: 'flyer' },
    confirmJoinRequest: { proof: 'Signed form, 28 Nov' },
    rejectJoinRequest: { reason: 'Full' },
    decideJoinRequestsInBulk: { action: 'approve', ids: [newId('jr')] },
    createRewardRule: { threshold: 3, title: 'Sticker pack' },
    createAnnouncement: { body: 'Hello', sendAt: new Date(Date.now() + 86400_000).toISOString() },
    updateAnnouncement: { body: 'Hello again' },
    createTeamInvitation: { name: 'Ana', role: 'community_admin' },
    decideTelegramJoinRequestsInBulk: { action: 'approve', ids: [newId('tjr')] },
    updateTeammate: { email: 'ana@example.com' },
  }
  expect(bodies, `a valid body for ${operationId}`).toHaveProperty(operationId)
  return bodies[operationId]
}

/** The query an operation needs besides its optional parameters (one rule asks for one of two). */
const VALID_QUERIES: Record<string, Record<string, string>> = {
  compareCommunityStats: { sources: 'flyer,poster' },
}

/** The id kind a path parameter takes, read from its pattern (`^cmt_...$`). */
function prefixOf(parameter: Parameter): IdPrefix {
  const prefix = /^\^([a-z]+)_/.exec(parameter.schema?.pattern ?? '')?.[1]
  expect(prefix, `the id kind of {${parameter.name}}`).toBeDefined()
  return prefix as IdPrefix
}

/** Every API operation with an `{id}` in its path, from the OpenAPI document itself. */
async function operationsUnderAnId(): Promise<Operation[]> {
  const { json } = await call('GET', '/api/openapi.json', { token: null })
  return Object.entries<Record<string, any>>(json.paths)
    .filter(([path]) => path.startsWith('/api/') && path.includes('{id}'))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId,
        parameters: operation.parameters ?? [],
        hasBody: operation.requestBody !== undefined,
        documents404: '404' in operation.responses,
      })),
    )
}

let operations: Operation[]
/** Ids that do exist, for the parameters after `{id}`: only the parent is missing. */
const existing: Partial<Record<IdPrefix, string>> = {}
let otherCommunityAdmin: string

beforeAll(async () => {
  operations = await operationsUnderAnId()
  const community = await createCommunity()
  const group = await createGroup(community.id)
  existing.grp = group.id
  existing.tok = (await createToken({ role: 'group_admin', groupId: group.id })).id
  otherCommunityAdmin = (await createToken({ role: 'community_admin', communityId: community.id }))
    .token
})

/** The request for `operation` with a missing `{id}`, every other part of it valid. */
function requestFor(operation: Operation) {
  const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path')
  const required = operation.parameters.filter(
    (parameter) => parameter.in !== 'path' && parameter.required,
  )
  expect(required, `${operation.operationId} needs no other parameter`).toEqual([])
  let path = operation.path.replace(/^\/api/, '')
  let missingKind: IdPrefix | undefined
  for (const parameter of pathParameters) {
    const kind = prefixOf(parameter)
    if (parameter.name === 'id') missingKind = kind
    const id = parameter.name === 'id' ? newId(kind) : (existing[kind] ?? newId(kind))
    path = path.replace(`{${parameter.name}}`, id)
  }
  const query = VALID_QUERIES[operation.operationId]
  return {
    path: `/api${path}${query ? `?${new URLSearchParams(query)}` : ''}`,
    missingKind: missingKind!,
    body: operation.hasBody ? validBody(operation.operationId) : undefined,
  }
}

describe('an operation under an {id} that does not exist', () => {
  it('covers every nested collection the API has', () => {
    const ids = operations.map((operation) => operation.operationId)
    expect(ids).toEqual(
      expect.arrayContaining([
        'listGroups',
        'listInvites',
        'listMembers',
        'exportMembersCsv',
        'listJoinRequests',
        'decideJoinRequestsInBulk',
        'listAnnouncements',
        'listRewards',
        'listRewardRules',
        'createRewardRule',
        'getCommunityStats',
        'listInboundMessages',
        'getReferralLeaderboard',
        'listCommunityAdmins',
        'promoteCommunityAdmin',
        'listAnnouncementDeliveries',
        'resumeAnnouncementRun',
        'listWebhookDeliveries',
      ]),
    )
    expect(operations.length).toBeGreaterThan(35)
  })

  it('answers 404 not_found naming the missing parent, to an owner, for every operation', async () => {
    const wrong: string[] = []
    for (const operation of operations) {
      const { path, missingKind, body } = requestFor(operation)
      const response = await call(operation.method, path, { body })
      const at = `${operation.method} ${operation.path} (${operation.operationId})`
      if (
        response.status !== 404 ||
        response.headers.get('content-type') !== 'application/problem+json' ||
        response.json?.code !== 'not_found' ||
        !String(response.json?.detail).startsWith(`${NOUNS[missingKind]} `)
      ) {
        wrong.push(`${at}: ${response.status} ${response.text.slice(0, 200)}`)
      }
      if (!operation.documents404) wrong.push(`${at}: its 404 is not documented`)
    }
    expect(wrong).toEqual([])
  })

  it('answers a token of another community as for any missing community, before looking', async () => {
    const underCommunity = operations.filter((operation) =>
      operation.path.startsWith('/api/communities/{id}'),
    )
    expect(underCommunity.length).toBeGreaterThan(20)
    const wrong: string[] = []
    for (const operation of underCommunity) {
      const { path, body } = requestFor(operation)
      const response = await call(operation.method, path, { body, token: otherCommunityAdmin })
      // The same 404 whether or not the id exists: another community's ids stay unknown.
      if (
        response.status !== 404 ||
        response.json?.code !== 'not_found' ||
        response.json?.detail !== 'Community does not exist or is not visible to this token.'
      ) {
        wrong.push(`${operation.method} ${operation.path}: ${response.status} ${response.text}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('treats a deleted community as missing, its rewards and reward rules too', async () => {
    const community = await createCommunity()
    const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 1, title: 'Badge' },
    })
    expect(rule.status, rule.text).toBe(201)
    expect((await call('DELETE', `/api/communities/${community.id}`)).status).toBe(204)
    for (const collection of ['rewards', 'reward-rules', 'members', 'groups', 'stats']) {
      expectProblem(
        await call('GET', `/api/communities/${community.id}/${collection}`),
        404,
        'not_found',
      )
    }
  })
})

/** The id kind of a dashboard path parameter, by the path segment before it. */
const DASHBOARD_KINDS: Record<string, IdPrefix> = {
  communities: 'cmt',
  groups: 'grp',
  links: 'inv',
  members: 'mem',
  announcements: 'ann',
  admins: 'tok',
  runs: 'dsp',
  team: 'tok',
  invitations: 'tin',
  rewards: 'rwr',
  approvals: 'jr',
  webhooks: 'whk',
  deliveries: 'evt',
}

describe('a dashboard page or form under an id that does not exist', () => {
  it('answers 404 for every page and form, whatever the form holds', async () => {
    const { cookie } = await signIn()
    const csrf = csrfOf((await page('/admin', cookie)).text)
    // Every route of the dashboard's router: a new one is covered without editing this test.
    const routes = dashboardApp.routes.filter(
      (route) => ['GET', 'POST'].includes(route.method) && route.path.includes('/:id'),
    )
    expect(routes.length).toBeGreaterThan(15)
    const wrong: string[] = []
    for (const route of routes) {
      const path = route.path.replace(/\/(\w+)\/:(\w+)/g, (_, segment: string, name: string) => {
        const kind = DASHBOARD_KINDS[segment]
        expect(kind, `the id kind of ${segment}/:${name}`).toBeDefined()
        const id = name === 'id' ? newId(kind!) : (existing[kind!] ?? newId(kind!))
        return `/${segment}/${id}`
      })
      const response =
        route.method === 'GET'
          ? await page(path, cookie)
          : await post(path, cookie, { _csrf: csrf })
      if (response.status !== 404) wrong.push(`${route.method} ${route.path}: ${response.status}`)
    }
    expect(wrong).toEqual([])
  })
})
