import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { newId } from '../../src/lib/ids'
import { hmacSha256, toHex } from '../../src/lib/crypto'
import { MAX_REWARD_RULES } from '../../src/services/rewards'
import type { World } from './contract-world'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  uniqueName,
  joinAsMember,
} from './helpers'
import { urlOf, type Answer, type Operation, type RequestParts } from './openapi-contract'
import { TELEGRAM_CASES, telegramLinkProbes } from './contract-telegram'

/**
 * The contract walk's cases: for each operation of the OpenAPI document, a request that
 * succeeds (made against resources the case creates where it changes or removes them), and the
 * answers of its own that no generic probe reaches (a slug taken, a full group, a finished run).
 */

export interface Request extends RequestParts {
  headers?: Record<string, string>
  /** Default: the owner token; null: none. */
  token?: string | null
  /** Sent as is, instead of `body`, with its own content type in `headers`. */
  rawBody?: string
}

export interface Case {
  /** A request that succeeds, and its status. */
  request: Request
  status: number
  /** Answers of this operation's own that no generic probe reaches. */
  probes?: Array<{ name: string; request: Request; status: number; code?: string }>
}

const VERIFY_TOKEN = 'test-verify-token-0123'
const APP_SECRET = 'test-app-secret-0123456789'

const future = (days = 1) => new Date(Date.now() + days * 86_400_000).toISOString()
const ip = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}`

async function signature(body: string): Promise<string> {
  return `sha256=${toHex(await hmacSha256(APP_SECRET, new TextEncoder().encode(body)))}`
}

/** An event of the community, and its delivery to the endpoint in `status`, as the outbox makes them. */
async function deliveryOf(endpointId: string, communityId: string, status: string) {
  const eventId = newId('evt')
  await env.DB.batch([
    env.DB.prepare(
      `insert into events (id, type, community_id, payload, created_at, delivered_at)
       values (?1, 'member.joined', ?2, '{}', ?3, ?3)`,
    ).bind(eventId, communityId, Date.now()),
    env.DB.prepare(
      `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, updated_at)
       values (?, ?, ?, 1, ?)`,
    ).bind(eventId, endpointId, status, Date.now()),
  ])
  return eventId
}

async function freshAnnouncement(communityId: string): Promise<string> {
  const response = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body: 'Hello', sendAt: future() },
  })
  expect(response.status, response.text).toBe(201)
  return response.json.id
}

async function freshRun(announcementId: string): Promise<string> {
  const id = newId('dsp')
  await env.DB.prepare(
    `insert into dispatches (id, announcement_id, scheduled_for, status, queued, created_at, progress_at)
     values (?, ?, ?, 'expanded', 0, ?, ?)`,
  )
    .bind(id, announcementId, Date.now() - Math.floor(Math.random() * 1e9), Date.now(), Date.now())
    .run()
  return id
}

/** One request that succeeds for each operation of the document, by its operationId. */
/** A group of the community counted with `members` members (their rows are not needed here). */
async function groupWithMembers(communityId: string, members: number): Promise<string> {
  const group = await createGroup(communityId)
  await env.DB.prepare('update groups set member_count = ? where id = ?')
    .bind(members, group.id)
    .run()
  return group.id
}

export const CASES: Record<string, (w: World) => Promise<Case>> = {
  createCommunity: async (w) => {
    const community = { name: uniqueName(), description: 'Made by the walk', visibility: 'open' }
    return {
      request: body(community),
      status: 201,
      probes: [
        {
          name: 'a slug taken',
          request: body({ ...community, slug: w.open.slug }),
          status: 409,
          code: 'slug_taken',
        },
      ],
    }
  },
  listCommunities: async () => ({ request: parts(), status: 200 }),
  getCommunity: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  updateCommunity: async (w) => ({
    request: body({ description: 'Changed by the walk' }, { id: w.open.id }),
    status: 200,
    probes: [
      {
        name: 'a slug taken',
        request: body({ slug: w.closed.slug }, { id: w.open.id }),
        status: 409,
        code: 'slug_taken',
      },
      {
        name: 'a group limit below the groups',
        request: body({ maxGroups: 1 }, { id: (await withGroups(2)).id }),
        status: 409,
        code: 'group_limit_reached',
      },
    ],
  }),
  deleteCommunity: async () => ({
    request: parts({ id: (await createCommunity()).id }),
    status: 204,
  }),
  listCommunityAdmins: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  promoteCommunityAdmin: async (w) => {
    const lead = await createToken({ role: 'group_admin', groupId: w.group.id })
    return { request: parts({ id: w.open.id, tokenId: lead.id }), status: 200 }
  },
  demoteCommunityAdmin: async (w) => {
    const admin = await createToken({ role: 'community_admin', communityId: w.open.id })
    return {
      request: body({ groupId: w.group.id }, { id: w.open.id, tokenId: admin.id }),
      status: 200,
      probes: [
        {
          name: 'no group to return to',
          request: parts({ id: w.open.id, tokenId: admin.id }),
          status: 409,
          code: 'invalid_role_change',
        },
      ],
    }
  },
  createGroup: async (w) => ({
    probes: [
      {
        name: 'the group limit reached',
        request: body({ name: 'One too many' }, { id: (await withGroups(1, 1)).id }),
        status: 409,
        code: 'group_limit_reached',
      },
    ],
    request: body({ name: uniqueName('Group') }, { id: w.open.id }),
    status: 201,
  }),
  listGroups: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  getGroup: async (w) => ({ request: parts({ id: w.group.id }), status: 200 }),
  updateGroup: async (w) => ({
    request: body({ topic: 'Long runs' }, { id: w.group.id }),
    status: 200,
    probes: [
      ...(await telegramLinkProbes(w)),
      {
        name: 'a limit below its members',
        request: body({ memberLimit: 2 }, { id: await groupWithMembers(w.open.id, 3) }),
        status: 409,
        code: 'member_limit_below_members',
      },
    ],
  }),
  deleteGroup: async (w) => ({
    request: parts({ id: (await createGroup(w.open.id)).id }),
    status: 204,
    probes: [
      {
        name: 'the announcement group',
        request: parts({ id: w.announcementGroup.id }),
        status: 409,
        code: 'announcement_group_protected',
      },
    ],
  }),
  createToken: async () => ({
    request: body({ name: 'Walk owner', role: 'owner' }),
    status: 201,
    probes: [
      {
        name: 'a community that does not exist',
        request: body({ name: 'Lost', role: 'community_admin', communityId: newId('cmt') }),
        status: 404,
        code: 'not_found',
      },
    ],
  }),
  listTokens: async () => ({ request: parts(), status: 200 }),
  revokeToken: async () => ({
    request: parts({ id: (await createToken({ role: 'owner' })).id }),
    status: 204,
  }),
  createTeamInvitation: async (w) => ({
    request: body({ name: 'Walk teammate', role: 'community_admin' }, { id: w.open.id }),
    status: 201,
    probes: [
      {
        name: 'a group of another community',
        request: body(
          { name: 'Walk lead', role: 'group_admin', groupId: w.group.id },
          { id: (await createCommunity()).id },
        ),
        status: 400,
        code: 'validation_failed',
      },
    ],
  }),
  listTeamInvitations: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  revokeTeamInvitation: async (w) => {
    const created = await call('POST', `/api/communities/${w.open.id}/team-invitations`, {
      body: { name: 'Walk revoked', role: 'community_admin' },
    })
    expect(created.status, created.text).toBe(201)
    return { request: parts({ id: created.json.id }), status: 204 }
  },
  listTeam: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  updateTeammate: async (w) => {
    const teammate = () => createToken({ role: 'community_admin', communityId: w.open.id })
    const email = `${crypto.randomUUID()}@example.org`
    const holder = await teammate()
    await call('PATCH', `/api/tokens/${holder.id}`, { body: { email } })
    return {
      request: body({ email: `walk-${email}` }, { id: (await teammate()).id }),
      status: 200,
      probes: [
        {
          name: 'an address on another teammate of the community',
          request: body({ email }, { id: (await teammate()).id }),
          status: 400,
          code: 'validation_failed',
        },
      ],
    }
  },
  listAuditLog: async (w) => ({
    request: parts({ id: w.open.id }, { action: 'link.created' }),
    status: 200,
  }),
  exportAuditLogCsv: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  createInvite: async (w) => ({
    request: body({ label: 'Walk poster', source: 'walk' }, { id: w.open.id }),
    status: 201,
    probes: [
      {
        name: 'a code taken',
        request: body({ code: w.invite.code }, { id: w.open.id }),
        status: 409,
        code: 'code_taken',
      },
    ],
  }),
  createInvites: async (w) => ({
    request: body(
      {
        links: [
          { label: 'Flyer A', campaign: 'walk' },
          { label: 'Flyer B', campaign: 'walk' },
        ],
      },
      { id: w.open.id },
    ),
    status: 201,
    probes: [
      {
        name: 'a code taken',
        request: body({ links: [{}, { code: w.invite.code }] }, { id: w.open.id }),
        status: 409,
        code: 'code_taken',
      },
    ],
  }),
  listInvites: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  getInvite: async (w) => ({ request: parts({ id: w.invite.id }), status: 200 }),
  updateInvite: async (w) => {
    const used = await createInvite(w.open.id, { maxUses: 5 })
    await env.DB.prepare('update invites set uses = 3 where id = ?').bind(used.id).run()
    return {
      request: body({ label: 'Renamed by the walk' }, { id: w.invite.id }),
      status: 200,
      probes: [
        {
          name: 'maxUses below the uses so far',
          request: body({ maxUses: 2 }, { id: used.id }),
          status: 409,
          code: 'max_uses_below_uses',
        },
      ],
    }
  },
  revokeInvite: async (w) => ({
    request: parts({ id: (await createInvite(w.open.id)).id }),
    status: 200,
  }),
  rotateInvite: async (w) => ({
    request: parts({ id: (await createInvite(w.open.id)).id }),
    status: 200,
  }),
  getInviteQrDesign: async (w) => ({ request: parts({ id: w.invite.id }), status: 200 }),
  archiveInvite: async (w) => ({
    request: parts({ id: (await createInvite(w.open.id)).id }),
    status: 200,
  }),
  restoreInvite: async (w) => {
    const archived = await createInvite(w.open.id)
    await env.DB.prepare('update invites set archived_at = 1 where id = ?').bind(archived.id).run()
    return { request: parts({ id: archived.id }), status: 200 }
  },
  duplicateInvite: async (w) => ({
    request: body({ source: 'walk copy' }, { id: w.invite.id }),
    status: 201,
    probes: [
      {
        name: 'a code taken',
        request: body({ source: 'walk copy', code: w.invite.code }, { id: w.invite.id }),
        status: 409,
        code: 'code_taken',
      },
    ],
  }),
  getInviteStats: async (w) => ({
    request: parts({ id: w.invite.id }, { from: '2026-01-01', to: '2026-01-31' }),
    status: 200,
    probes: [
      {
        name: 'from after to',
        request: parts({ id: w.invite.id }, { from: '2026-02-01', to: '2026-01-31' }),
        status: 400,
        code: 'validation_failed',
      },
    ],
  }),
  getCommunityStats: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  compareCommunityStats: async (w) => ({
    request: parts({ id: w.open.id }, { sources: 'instagram,flyer', from: '2026-01-01' }),
    status: 200,
    probes: [
      {
        name: 'one source only',
        request: parts({ id: w.open.id }, { sources: 'instagram' }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'links and sources at once',
        request: parts(
          { id: w.open.id },
          { sources: 'a,b', links: `${w.invite.id},${w.invite.id}` },
        ),
        status: 400,
        code: 'validation_failed',
      },
    ],
  }),
  listJoinRequests: async (w) => ({
    request: parts({ id: w.closed.id }, { status: 'pending' }),
    status: 200,
  }),
  approveJoinRequest: async (w) => {
    const declined = await pendingRequest(w)
    expect((await call('POST', `/api/join-requests/${declined}/reject`)).status).toBe(200)
    return {
      request: parts({ id: w.pendingRequests[0]! }),
      status: 200,
      probes: [
        {
          name: 'a rejected request',
          request: parts({ id: declined }),
          status: 409,
          code: 'invalid_state',
        },
      ],
    }
  },
  confirmJoinRequest: async () => {
    const community = await createCommunity({ consent: 'double' })
    const invite = await createInvite(community.id)
    const joined = await joinAsMember(invite.code, { name: 'Dora Double', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    return {
      request: body({ proof: 'Signed form at the walk' }, { id: joined.json.joinRequestId }),
      status: 200,
      probes: [
        {
          name: 'a contact the sign-up does not have',
          request: body(
            { proof: 'Signed form', contacts: ['email'] },
            { id: joined.json.joinRequestId },
          ),
          status: 409,
          code: 'invalid_state',
        },
      ],
    }
  },
  rejectJoinRequest: async (w) => ({
    request: body({ reason: 'Full this season' }, { id: w.pendingRequests[1]! }),
    status: 200,
    probes: [
      {
        name: 'an approved request',
        request: body({ reason: 'Too late' }, { id: w.pendingRequests[0]! }),
        status: 409,
        code: 'invalid_state',
      },
    ],
  }),
  decideJoinRequestsInBulk: async (w) => ({
    request: body({ action: 'approve', ids: [w.pendingRequests[2]!] }, { id: w.closed.id }),
    status: 200,
  }),
  listInboundMessages: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  listMembers: async (w) => ({
    request: parts({ id: w.open.id }, { status: 'active' }),
    status: 200,
  }),
  exportMembersCsv: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  removeMember: async (w) => {
    const joined = await joinAsMember(w.invite.code, { name: 'Rita Removed', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    return { request: parts({ id: joined.json.memberId }), status: 204 }
  },
  eraseMember: async (w) => {
    const joined = await joinAsMember(w.invite.code, { name: 'Erin Erased', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    return { request: parts({ id: joined.json.memberId }), status: 204 }
  },
  getReferralLeaderboard: async (w) => ({
    request: parts({ id: w.open.id }, { from: '2026-01-01', limit: '10' }),
    status: 200,
  }),
  createRewardRule: async (w) => {
    const full = await createCommunity()
    for (let threshold = 1; threshold <= MAX_REWARD_RULES; threshold++)
      await call('POST', `/api/communities/${full.id}/reward-rules`, {
        body: { threshold, title: `Reward at ${threshold}` },
      })
    return {
      request: body({ threshold: 5, title: 'Running shirt' }, { id: w.open.id }),
      status: 201,
      probes: [
        {
          name: 'the rule limit reached',
          request: body({ threshold: 50, title: 'One too many' }, { id: full.id }),
          status: 409,
          code: 'reward_rule_limit_reached',
        },
      ],
    }
  },
  listRewardRules: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  retireRewardRule: async () => {
    // A community of its own: every walk retires a rule, and the walks must not fill one up.
    const community = await createCommunity()
    const rule = await call('POST', `/api/communities/${community.id}/reward-rules`, {
      body: { threshold: 3, title: 'Sticker pack' },
    })
    return {
      request: parts({ id: community.id, ruleId: rule.json.id }),
      status: 204,
      probes: [
        {
          name: 'a rule of another community',
          request: parts({ id: (await createCommunity()).id, ruleId: rule.json.id }),
          status: 404,
          code: 'not_found',
        },
      ],
    }
  },
  listRewards: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  createAnnouncement: async (w) => ({
    request: body({ body: 'Run on Sunday', sendAt: future() }, { id: w.open.id }),
    status: 201,
  }),
  listAnnouncements: async (w) => ({ request: parts({ id: w.open.id }), status: 200 }),
  previewRepeatRule: async () => ({
    request: parts({}, { cron: '0 9 * * 1', timezone: 'Europe/Berlin', count: '3' }),
    status: 200,
  }),
  getAnnouncement: async (w) => ({ request: parts({ id: w.announcement.id }), status: 200 }),
  updateAnnouncement: async (w) => ({
    request: body({ body: 'Run on Sunday, at ten' }, { id: await freshAnnouncement(w.open.id) }),
    status: 200,
    probes: [
      {
        name: 'a cancelled announcement',
        request: body({ body: 'Too late' }, { id: await cancelledAnnouncement(w) }),
        status: 409,
        code: 'invalid_state',
      },
      {
        // The world's announcement has a run still going out, which reads its text as it goes.
        name: 'an announcement with a run still sending',
        request: body({ body: 'Mid-run' }, { id: w.announcement.id }),
        status: 409,
        code: 'invalid_state',
      },
    ],
  }),
  cancelAnnouncement: async (w) => {
    const sent = await freshAnnouncement(w.open.id)
    await env.DB.prepare(`update announcements set status = 'sent' where id = ?`).bind(sent).run()
    return {
      request: parts({ id: await freshAnnouncement(w.open.id) }),
      status: 200,
      probes: [
        {
          name: 'a sent announcement',
          request: parts({ id: sent }),
          status: 409,
          code: 'invalid_state',
        },
      ],
    }
  },
  resumeAnnouncement: async (w) => ({ request: parts({ id: w.announcement.id }), status: 200 }),
  sendAnnouncementNow: async (w) => {
    const stalled = await freshAnnouncement(w.open.id)
    const run = await freshRun(stalled)
    await env.DB.prepare('update dispatches set progress_at = ? where id = ?')
      .bind(Date.now() - 3_600_000, run)
      .run()
    return {
      request: parts({ id: await freshAnnouncement(w.open.id) }),
      status: 200,
      probes: [
        {
          name: 'a stalled run',
          request: parts({ id: stalled }),
          status: 409,
          code: 'invalid_state',
        },
      ],
    }
  },
  listAnnouncementDeliveries: async (w) => ({
    request: parts({ id: w.announcement.id }, { limit: '10' }),
    status: 200,
  }),
  resumeAnnouncementRun: async (w) => {
    const done = await freshRun(w.announcement.id)
    await env.DB.prepare(`update dispatches set status = 'done' where id = ?`).bind(done).run()
    return {
      request: parts({ id: w.announcement.id, runId: await freshRun(w.announcement.id) }),
      status: 200,
      probes: [
        {
          name: 'a finished run',
          request: parts({ id: w.announcement.id, runId: done }),
          status: 409,
          code: 'invalid_state',
        },
      ],
    }
  },
  cancelAnnouncementRun: async (w) => {
    const run = await freshRun(w.announcement.id)
    const done = await freshRun(w.announcement.id)
    await env.DB.prepare(`update dispatches set status = 'done' where id = ?`).bind(done).run()
    return {
      request: parts({ id: w.announcement.id, runId: run }),
      status: 200,
      probes: [
        {
          name: 'a finished run',
          request: parts({ id: w.announcement.id, runId: done }),
          status: 409,
          code: 'invalid_state',
        },
      ],
    }
  },
  // These Workers send through the webhook channel, which cannot send a message again: the
  // answer is the 409 that says so. The 200 is walked against the document where WhatsApp sends
  // (whatsapp/recipient-report.test.ts).
  resendAnnouncementToFailed: async (w) => ({
    request: parts({ id: w.announcement.id }),
    status: 409,
  }),
  createWebhookEndpoint: async () => ({
    request: body({ url: 'https://hooks.example.com/walk', events: ['member.joined'] }),
    status: 201,
    probes: [
      {
        name: 'a community that does not exist',
        request: body({
          url: 'https://hooks.example.com/walk',
          events: ['*'],
          communityId: newId('cmt'),
        }),
        status: 404,
        code: 'not_found',
      },
    ],
  }),
  listWebhookEndpoints: async () => ({ request: parts(), status: 200 }),
  deleteWebhookEndpoint: async (w) => {
    const created = await call('POST', '/api/webhooks', {
      body: { url: 'https://hooks.example.com/gone', events: ['*'], communityId: w.open.id },
    })
    expect(created.status, created.text).toBe(201)
    return { request: parts({ id: created.json.id }), status: 204 }
  },
  listWebhookDeliveries: async (w) => ({ request: parts({ id: w.webhook.id }), status: 200 }),
  redeliverWebhookEvent: async (w) => {
    // Two events the endpoint got: one whose delivery failed, one still being sent.
    const failed = await deliveryOf(w.webhook.id, w.open.id, 'failed')
    const sending = await deliveryOf(w.webhook.id, w.open.id, 'sending')
    return {
      request: parts({ id: w.webhook.id, eventId: failed }),
      status: 202,
      probes: [
        {
          name: 'an event being delivered now',
          request: parts({ id: w.webhook.id, eventId: sending }),
          status: 409,
          code: 'invalid_state',
        },
        {
          name: 'an event never delivered to this endpoint',
          request: parts({ id: w.webhook.id, eventId: newId('evt') }),
          status: 404,
          code: 'not_found',
        },
      ],
    }
  },
  // The endpoint's receiver is not reachable from here: the answer says so, with a 200.
  testWebhookEndpoint: async (w) => ({ request: parts({ id: w.webhook.id }), status: 200 }),
  resumeWebhookEndpoint: async (w) => {
    // An endpoint whose receiver answered 410 Gone: stopped until this.
    const created = await call('POST', '/api/webhooks', {
      body: { url: 'https://hooks.example.com/stopped', events: ['*'], communityId: w.open.id },
    })
    expect(created.status, created.text).toBe(201)
    await env.DB.prepare('update webhook_endpoints set gone_at = ?1 where id = ?2')
      .bind(Date.now(), created.json.id)
      .run()
    return { request: parts({ id: created.json.id }), status: 200 }
  },
  joinThroughInvite: async (w) => {
    const revoked = await createInvite(w.open.id)
    expect((await call('POST', `/api/invites/${revoked.id}/revoke`)).status).toBe(200)
    // A group of one, filled: the next join through its link finds it full.
    const small = await createGroup(w.open.id, { memberLimit: 1 })
    const toSmall = await createInvite(w.open.id, { groupId: small.id })
    expect((await joinJson(toSmall.code, { name: 'First Fay', phone: newPhone() })).status).toBe(
      201,
    )
    // Five attempts an hour per phone number: the sixth is one too many.
    const busy = newPhone()
    for (let i = 0; i < 5; i++) {
      const attempt = await joinJson(w.invite.code, { name: 'Busy Ben', phone: busy })
      expect(attempt.status, attempt.text).toBe(201)
    }
    const form = await formOf(w.invite.code)
    const person = (request: Partial<Request>): Request => ({
      pathParams: { code: w.invite.code },
      query: {},
      token: null,
      headers: { 'cf-connecting-ip': ip() },
      ...request,
    })
    return {
      request: person({ body: { name: 'Walt Walker', phone: newPhone(), consent: true } }),
      status: 201,
      probes: [
        {
          name: 'a revoked link',
          request: person({
            pathParams: { code: revoked.code },
            body: { name: 'Late Larry', phone: newPhone(), consent: true },
          }),
          status: 410,
          code: 'invite_unusable',
        },
        {
          name: 'no such link',
          request: person({
            pathParams: { code: 'no-such-link' },
            body: { name: 'Lost Lena', phone: newPhone(), consent: true },
          }),
          status: 404,
          code: 'not_found',
        },
        {
          // The form again, as typed, with a token that works: HTML, as a form's answers are.
          name: 'the form without its token',
          request: person({
            rawBody: new URLSearchParams({ name: 'Form Fred', consent: 'yes' }).toString(),
            headers: {
              'cf-connecting-ip': ip(),
              'content-type': 'application/x-www-form-urlencoded',
            },
          }),
          status: 403,
        },
        {
          name: 'the form',
          request: person({
            rawBody: new URLSearchParams({
              name: 'Form Fred',
              phone: newPhone(),
              consent: 'yes',
              csrf: form.csrf,
            }).toString(),
            headers: {
              'cf-connecting-ip': ip(),
              'content-type': 'application/x-www-form-urlencoded',
              cookie: form.cookie,
            },
          }),
          status: 303,
        },
        {
          name: 'the form with its hidden field filled in',
          request: person({
            rawBody: new URLSearchParams({
              name: 'Bot Bob',
              phone: newPhone(),
              consent: 'yes',
              csrf: form.csrf,
              website: 'https://spam.example',
            }).toString(),
            headers: {
              'cf-connecting-ip': ip(),
              'content-type': 'application/x-www-form-urlencoded',
              cookie: form.cookie,
            },
          }),
          status: 200,
        },
        {
          name: 'a full group',
          request: person({
            pathParams: { code: toSmall.code },
            body: { name: 'Second Sam', phone: newPhone(), consent: true },
          }),
          status: 409,
          code: 'group_full',
        },
        {
          name: 'a sixth attempt with one phone number in an hour',
          request: person({ body: { name: 'Busy Ben', phone: busy, consent: true } }),
          status: 429,
          code: 'rate_limited',
        },
        {
          name: 'a phone number that is none',
          request: person({ body: { name: 'Nora Number', phone: '12', consent: true } }),
          status: 400,
          code: 'validation_failed',
        },
      ],
    }
  },
  verifyWhatsAppWebhook: async () => {
    const handshake = (token: string): Request => ({
      pathParams: {},
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': 'c4ll3nge' },
      token: null,
    })
    return {
      request: handshake(VERIFY_TOKEN),
      status: 200,
      probes: [
        {
          name: 'a wrong verify token',
          request: handshake('wrong-token'),
          status: 403,
          code: 'forbidden',
        },
      ],
    }
  },
  receiveWhatsAppNotification: async () => {
    const signed = async (raw: string): Promise<Request> => ({
      pathParams: {},
      query: {},
      token: null,
      rawBody: raw,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': await signature(raw) },
    })
    const notification = JSON.stringify({ object: 'whatsapp_business_account', entry: [] })
    return {
      request: await signed(notification),
      status: 200,
      probes: [
        {
          name: 'a wrong signature',
          request: {
            ...(await signed(notification)),
            headers: { 'x-hub-signature-256': 'sha256=00' },
          },
          status: 401,
          code: 'unauthorized',
        },
        {
          name: 'signed, not JSON',
          request: await signed('{'),
          status: 400,
          code: 'malformed_json',
        },
        {
          name: 'larger than 3 MiB',
          request: await signed(JSON.stringify({ padding: 'x'.repeat(3 * 1024 * 1024) })),
          status: 413,
          code: 'payload_too_large',
        },
      ],
    }
  },
  ...TELEGRAM_CASES,
}

/** A community with `count` discussion groups, and room for `max` (default 50). */
async function withGroups(count: number, max = 50) {
  const community = await createCommunity({ maxGroups: max })
  for (let i = 0; i < count; i++) await createGroup(community.id)
  return community
}

/** A join request waiting in the world's closed community. */
async function pendingRequest(w: World): Promise<string> {
  const joined = await joinAsMember(w.closedInvite.code, {
    name: 'Quinn Queued',
    phone: newPhone(),
    answers: ['Because'],
  })
  expect(joined.status, joined.text).toBe(201)
  return joined.json.joinRequestId
}

async function cancelledAnnouncement(w: World): Promise<string> {
  const id = await freshAnnouncement(w.open.id)
  expect((await call('POST', `/api/announcements/${id}/cancel`)).status).toBe(200)
  return id
}

/** The join form's token and the cookie that goes with it, as a browser holds them. */
async function formOf(code: string): Promise<{ csrf: string; cookie: string }> {
  const page = await call('GET', `/i/${code}/join`, {
    token: null,
    headers: { accept: 'text/html' },
  })
  expect(page.status, page.text.slice(0, 200)).toBe(200)
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1]
  const cookie = page.headers.get('set-cookie')?.split(';')[0]
  expect(csrf && cookie).toBeTruthy()
  return { csrf: csrf!, cookie: cookie! }
}

function parts(
  pathParams: Record<string, string> = {},
  query: Record<string, string> = {},
): Request {
  return { pathParams, query }
}

function body(value: unknown, pathParams: Record<string, string> = {}): Request {
  return { pathParams, query: {}, body: value }
}

export async function send(operation: Operation, request: Request): Promise<Answer> {
  return call(operation.method.toUpperCase(), urlOf(operation, request), {
    token: request.token,
    body: request.rawBody === undefined ? request.body : undefined,
    rawBody: request.rawBody,
    headers: request.headers,
  })
}
