import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { newId, type IdPrefix } from '../../src/lib/ids'
import {
  call,
  createCommunity,
  createGroup,
  createInvite,
  createToken,
  joinJson,
  newPhone,
  type Answer,
  joinAsMember,
} from './helpers'

/**
 * A little of everything the API manages, made through the API itself: the contract and fuzz
 * tests drive every operation against it.
 */
export interface World {
  open: { id: string; slug: string }
  closed: { id: string; slug: string }
  group: { id: string }
  announcementGroup: { id: string }
  invite: { id: string; code: string }
  closedInvite: { id: string; code: string }
  member: { id: string }
  pendingRequests: string[]
  /** The admin of `group`. */
  groupAdmin: TokenHolder
  communityAdmin: TokenHolder
  /** A group admin of another community: what lies in `open` and `closed` is hidden from it. */
  outsider: TokenHolder
  announcement: { id: string }
  run: { id: string }
  webhook: { id: string }
  /** Existing ids by kind, for parameters and fields that name one. */
  ids: Partial<Record<IdPrefix, string[]>>
  /** Existing invite codes. */
  codes: string[]
}

/** A token as created, with its secret. */
export interface TokenHolder {
  id: string
  token: string
  role: 'owner' | 'community_admin' | 'group_admin'
  communityId: string | null
  groupId: string | null
}

async function ok(response: Answer, status = 201) {
  expect(response.status, response.text).toBe(status)
  return response.json
}

export async function createWorld(): Promise<World> {
  const open = await createCommunity()
  const closed = await createCommunity({
    visibility: 'closed',
    joinQuestions: ['Why do you want to join?'],
  })
  const group = await createGroup(open.id)
  const groups = await ok(await call('GET', `/api/communities/${open.id}/groups`), 200)
  const announcementGroup = groups.data.find((g: { kind: string }) => g.kind === 'announcement')
  const invite = await createInvite(open.id, { label: 'Poster', maxUses: 1000 })
  const closedInvite = await createInvite(closed.id, { label: 'Flyer' })
  const groupInvite = await createInvite(open.id, { groupId: group.id })

  const joined = await joinAsMember(invite.code, { name: 'Mia Member', phone: newPhone() })
  expect(joined.status, joined.text).toBe(201)
  const pendingRequests: string[] = []
  for (const name of ['Pia Pending', 'Paul Pending', 'Petra Pending']) {
    const pending = await joinJson(closedInvite.code, {
      name,
      phone: newPhone(),
      answers: ['To run'],
    })
    expect(pending.status, pending.text).toBe(201)
    pendingRequests.push(pending.json.joinRequestId)
  }

  const groupAdmin = await createToken({ role: 'group_admin', groupId: group.id })
  const communityAdmin = await createToken({ role: 'community_admin', communityId: open.id })
  const elsewhere = await createCommunity()
  const outsiderGroup = await createGroup(elsewhere.id)
  const outsider = await createToken({ role: 'group_admin', groupId: outsiderGroup.id })

  const announcement = await ok(
    await call('POST', `/api/communities/${open.id}/announcements`, {
      body: { body: 'Sunday run at nine', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
    }),
  )
  const run = { id: newId('dsp') }
  await env.DB.prepare(
    `insert into dispatches (id, announcement_id, scheduled_for, status, queued, created_at, progress_at)
     values (?, ?, ?, 'expanded', 0, ?, ?)`,
  )
    .bind(run.id, announcement.id, Date.now() - 60_000, Date.now(), Date.now())
    .run()
  const webhook = await ok(
    await call('POST', '/api/webhooks', {
      body: {
        url: 'https://hooks.example.com/community-growth',
        events: ['*'],
        communityId: open.id,
      },
    }),
  )
  await ok(
    await call('POST', `/api/communities/${open.id}/reward-rules`, {
      body: { threshold: 3, title: 'Sticker pack' },
    }),
  )

  return {
    open,
    closed,
    group,
    announcementGroup,
    invite,
    closedInvite,
    member: { id: joined.json.memberId },
    pendingRequests,
    groupAdmin,
    communityAdmin,
    outsider,
    announcement,
    run,
    webhook,
    ids: {
      cmt: [open.id, closed.id],
      grp: [group.id, announcementGroup.id],
      inv: [invite.id, closedInvite.id, groupInvite.id],
      jr: pendingRequests,
      mem: [joined.json.memberId],
      ann: [announcement.id],
      dsp: [run.id],
      whk: [webhook.id],
      tok: [groupAdmin.id, communityAdmin.id],
    },
    codes: [invite.code, closedInvite.code, groupInvite.code],
  }
}

/** The id kind a schema's pattern names (`^cmt_...$`), if any. */
export function idKindOf(pattern: string | undefined): IdPrefix | undefined {
  return /^\^([a-z]+)_/.exec(pattern ?? '')?.[1] as IdPrefix | undefined
}
