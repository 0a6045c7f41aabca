import { describe, expect, it } from 'vitest'
import { call, createCommunity, createGroup, query } from './helpers'
import { page, signIn } from './dashboard-helpers'

/** Schedules an announcement through the API, a week ahead, for `audience`. */
async function scheduled(
  communityId: string,
  body: string,
  audience: 'announcement' | { groupIds: string[] } = 'announcement',
): Promise<string> {
  const sendAt = new Date(Date.now() + 7 * 86_400_000).toISOString()
  const answer = await call('POST', `/api/communities/${communityId}/announcements`, {
    body: { body, audience, sendAt },
  })
  expect(answer.status, answer.text).toBe(201)
  return answer.json.id
}

/** The question the "Send now" button of an announcement asks before it sends. */
function sendNowQuestion(html: string, announcementId: string): string | undefined {
  const form = new RegExp(
    `<form method="post" action="/admin/announcements/${announcementId}/send-now"[^>]*>`,
  ).exec(html)?.[0]
  expect(form, 'the list offers to send it now').toBeTruthy()
  return /data-confirm="([^"]*)"/.exec(form!)?.[1]
}

describe('dashboard: sending an announcement now', () => {
  it('asks before sending, naming how many members it goes to', async () => {
    const community = await createCommunity()
    const runners = await createGroup(community.id)
    const walkers = await createGroup(community.id)
    // The groups' kept counts, as joins leave them.
    await query(
      `update groups set member_count = 1234 where community_id = ? and kind = 'announcement'`,
      community.id,
    )
    await query('update groups set member_count = 1 where id = ?', runners.id)
    await query('update groups set member_count = 2 where id = ?', walkers.id)
    const everyone = await scheduled(community.id, 'To everyone')
    const one = await scheduled(community.id, 'To the runners', { groupIds: [runners.id] })
    const both = await scheduled(community.id, 'To both', {
      groupIds: [runners.id, walkers.id],
    })
    const { cookie } = await signIn()

    const list = await page(`/admin/communities/${community.id}/announcements`, cookie)
    expect(sendNowQuestion(list.text, everyone)).toBe(
      'Send this now to 1,234 members? It goes out at once and cannot be taken back.',
    )
    expect(sendNowQuestion(list.text, one)).toBe(
      'Send this now to 1 member? It goes out at once and cannot be taken back.',
    )
    // A member of both groups gets it once: the sum is only an upper bound.
    expect(sendNowQuestion(list.text, both)).toBe(
      'Send this now to up to 3 members? It goes out at once and cannot be taken back.',
    )

    const german = await page(`/admin/communities/${community.id}/announcements?lang=de`, cookie)
    expect(sendNowQuestion(german.text, everyone)).toBe(
      'Jetzt an 1.234 Mitglieder senden? Die Ankündigung geht sofort hinaus und lässt sich danach nicht zurückholen.',
    )
  })
})
