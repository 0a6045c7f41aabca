import { describe, expect, it } from 'vitest'
import { ruleFor } from '../../src/middleware/audit-trail'
import { dashboardApp } from '../../src/pages/dashboard/index'
import { call } from './helpers'

/**
 * Every change an admin can make is in the audit log's one table of rules (or recorded where it
 * is decided): a new operation or dashboard form that changes something fails here until it is
 * audited or named below with the reason it is not.
 */

const EXEMPT_API = new Set([
  // Gone with the community, and its log with it.
  'DELETE /api/communities/{id}',
  // Recorded where decided (`decideJoinRequest`), once per request actually decided.
  'POST /api/join-requests/{id}/approve',
  'POST /api/join-requests/{id}/reject',
  'POST /api/communities/{id}/join-requests/bulk',
  'POST /api/communities/{id}/telegram-join-requests/bulk',
  // Recorded where made, one entry per link, each naming it.
  'POST /api/communities/{id}/invites/bulk',
  // The bot and its chats serve the whole installation, not one community.
  'POST /api/telegram/connect',
  // Changes nothing: one event with no person in it, sent to the endpoint's own receiver.
  'POST /api/webhooks/{id}/test',
])

const EXEMPT_DASHBOARD = new Set([
  // Signing in and out changes no community.
  '/admin/login',
  '/admin/logout',
  '/admin/logout-everywhere',
  '/admin/accept/:secret',
  '/admin/access/choose',
  // Decisions: recorded where decided, as in the API.
  '/admin/communities/:id/approvals',
  '/admin/approvals',
  '/admin/communities/:id/telegram-approvals',
  // The bot's connection serves the whole installation, outside any one community's log.
  '/admin/telegram/connect',
  // Recorded where the chat is linked or unlinked, as a change of the group(s) it concerns.
  '/admin/telegram/link',
  '/admin/telegram/unlink',
  // As the API's test event: nothing changes.
  '/admin/webhooks/:id/test',
  // As the API's bulk creation: recorded where made, one entry per link.
  '/admin/communities/:id/links/bulk',
])

/** A path with an id of the right kind in each parameter, as a request would have it. */
function concrete(path: string): string {
  const id = (prefix: string) => `${prefix}_0123456789abcdefghjkmnpqrs`
  return path
    .replace(/\/communities\/(\{id\}|:id)/, `/communities/${id('cmt')}`)
    .replace(/\/groups\/(\{id\}|:id)/, `/groups/${id('grp')}`)
    .replace(/\/(invites|links)\/(\{id\}|:id)/, `/$1/${id('inv')}`)
    .replace(/\/telegram-join-requests\/(\{id\}|:id)/, `/telegram-join-requests/${id('tjr')}`)
    .replace(/\/join-requests\/(\{id\}|:id)/, `/join-requests/${id('jr')}`)
    .replace(/\/members\/(\{id\}|:id)/, `/members/${id('mem')}`)
    .replace(/\/announcements\/(\{id\}|:id)/, `/announcements/${id('ann')}`)
    .replace(/\/webhooks\/(\{id\}|:id)/, `/webhooks/${id('whk')}`)
    .replace(/\/tokens\/(\{id\}|:id)/, `/tokens/${id('tok')}`)
    .replace(/\/team-invitations\/(\{id\}|:id)/, `/team-invitations/${id('tin')}`)
    .replace(/\{tokenId\}|:tokenId/, id('tok'))
    .replace(/\{runId\}|:runId/, id('dsp'))
    .replace(/\{eventId\}|:eventId/, id('evt'))
    .replace(/:invitationId/, id('tin'))
    .replace(/\{ruleId\}|:ruleId/, id('rwr'))
    .replace(/:requestId/, id('jr'))
}

describe('the audit log covers every change', () => {
  it('of the API', async () => {
    const doc = (await call('GET', '/api/openapi.json', { token: null })).json as {
      paths: Record<string, Record<string, unknown>>
    }
    const missing: string[] = []
    let changes = 0
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue
      for (const method of Object.keys(operations)) {
        if (!['post', 'patch', 'put', 'delete'].includes(method)) continue
        changes += 1
        const name = `${method.toUpperCase()} ${path}`
        const rule = ruleFor(method.toUpperCase(), concrete(path))
        if (!rule && !EXEMPT_API.has(name)) missing.push(name)
        if (rule && EXEMPT_API.has(name)) missing.push(`${name} is exempt and audited`)
      }
    }
    expect(missing).toEqual([])
    expect(changes).toBeGreaterThan(25)
  })

  it('of the dashboard', () => {
    const posts = dashboardApp.routes.filter((route) => route.method === 'POST')
    expect(posts.length).toBeGreaterThan(15)
    const missing = posts
      .filter((route) => !EXEMPT_DASHBOARD.has(route.path))
      .filter((route) => !ruleFor('POST', concrete(route.path)))
      .map((route) => route.path)
    expect(missing).toEqual([])
  })
})
