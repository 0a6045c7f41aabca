import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS, MESSAGES } from '../../src/lib/i18n'
import {
  call,
  createCommunity,
  createInvite,
  joinJson,
  newPhone,
  visit,
  joinAsMember,
  query,
} from './helpers'
import { page, signIn } from './dashboard-helpers'

/**
 * On WhatsApp the product sees up to the chat link: it cannot take anyone out of a group, nor see
 * who is in one. Every sentence a person reads says what the product does, never more.
 */

/** The readable text of a page, without tags. */
function textOf(html: string): string {
  return html
    .replace(/<style[^>]*>.*?<\/style>|<script[^>]*>.*?<\/script>/gs, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
}

describe('leaving says what it does, and how to leave the chat itself', () => {
  it('before and after the tap, in German and English', async () => {
    const community = await createCommunity({ name: 'Laufgruppe Ehrlich' })
    const invite = await createInvite(community.id)
    const joined = await joinAsMember(invite.code, { name: 'Lea', phone: newPhone() })
    const leavePath = new URL(joined.json.leaveUrl).pathname

    const de = textOf((await visit(`${leavePath}?lang=de`)).text)
    expect(de).toContain('Mitgliedschaft beenden?')
    expect(de).toContain('keine Nachrichten mehr für diese Community')
    expect(de).toContain('nicht mehr auf ihrer Mitgliederliste')
    expect(de).toContain('dein persönlicher Einladungslink funktioniert endgültig nicht mehr')
    expect(de).toContain('Aus dem WhatsApp-Chat selbst können wir niemanden entfernen')
    expect(de).toContain('„Gruppe verlassen“')
    expect(de).toContain('„Community verlassen“')
    expect(de).not.toMatch(/alle Gruppen/i)

    const en = textOf((await visit(`${leavePath}?lang=en`)).text)
    expect(en).toContain('End your membership?')
    expect(en).toContain('no more messages for this community')
    expect(en).toContain('you are off its member list')
    expect(en).toContain('your personal invite link stops working')
    // Leaving is for good, but coming back is not barred: the page says how.
    expect(en).toContain('To come back, you sign up again like anyone new.')
    expect(en).toContain('We cannot take anyone out of the WhatsApp chat itself')
    expect(en).toContain('“Exit group”')
    expect(en).toContain('“Exit community”')
    expect(en).not.toMatch(/all (of its )?groups/i)

    const left = await call('POST', `${leavePath}?lang=en`, {
      token: null,
      headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
    })
    const after = textOf(left.text)
    expect(after).toContain('Your membership has ended')
    expect(after).toContain('“Exit group”')
    // The status page of the ended membership says the same.
    const status = textOf((await visit(`${new URL(joined.json.statusUrl).pathname}?lang=de`)).text)
    expect(status).toContain('Du bist nicht mehr Mitglied')
    expect(status).toContain('„Gruppe verlassen“')
    // Their personal link does not say that the admins withdrew it.
    const personal = await visit(`${new URL(joined.json.referralUrl).pathname}?lang=en`)
    expect(personal.status).toBe(410)
    expect(textOf(personal.text)).toContain(MESSAGES.en.referralGoneText)
    expect(personal.text).not.toContain(MESSAGES.en.revokedText)
    // Nor whose community it was: it would tie the member to it.
    expect(personal.text).not.toContain('It was an invite to')
  })
})

describe('no public sentence promises what the product cannot do', () => {
  it('the dashboard says removing a member does not remove them from the WhatsApp chat', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    await joinJson(invite.code, { name: 'Rudi', phone: newPhone() })
    const { cookie } = await signIn()
    const members = await page(`/admin/communities/${community.id}/members`, cookie)
    // The removal's confirm dialog.
    expect(members.text).toContain(
      `data-confirm="${DASHBOARD_WORDS.en.confirmRemove} Remove them from the WhatsApp chat yourself, in WhatsApp."`,
    )
    expect(DASHBOARD_WORDS.de.removeInChatYourself.whatsapp).toContain(
      'Aus dem WhatsApp-Chat entfernst du es dort',
    )
    const docs = await call('GET', '/api/openapi.json')
    const removal = docs.json.paths['/api/members/{id}'].delete
    expect(removal.description).toContain('cannot take anyone out of a WhatsApp group')
  })
})

describe('figures of people in WhatsApp groups say they are inferred from our own forms', () => {
  const note = DASHBOARD_WORDS.en.whatsappInferred

  it('on every dashboard page that shows joins, members, retention or leaves', async () => {
    const community = await createCommunity()
    const first = await createInvite(community.id, { label: 'Poster' })
    const second = await createInvite(community.id, { label: 'Flyer' })
    await joinAsMember(first.code, { name: 'Wanda', phone: newPhone() })
    const { cookie } = await signIn()
    for (const path of [
      '/admin',
      `/admin/communities/${community.id}`,
      `/admin/links/${first.id}`,
      `/admin/communities/${community.id}/compare?links=${first.id},${second.id}`,
      `/admin/communities/${community.id}/members`,
      `/admin/communities/${community.id}/settings`,
    ]) {
      const answer = await page(path, cookie)
      expect(answer.status, path).toBe(200)
      expect(textOf(answer.text), path).toContain(note)
    }
    const german = await call('GET', `/admin/communities/${community.id}`, {
      token: null,
      headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
    })
    expect(textOf(german.text)).toContain(DASHBOARD_WORDS.de.whatsappInferred)
  })

  it('points to tables of values to filter by only on pages that have them', async () => {
    const community = await createCommunity()
    const first = await createInvite(community.id, { label: 'Poster' })
    const second = await createInvite(community.id, { label: 'Flyer' })
    const { cookie } = await signIn()
    const hint = DASHBOARD_WORDS.en.filterHint
    expect(textOf((await page(`/admin/links/${first.id}`, cookie)).text)).toContain(hint)
    const compare = await page(
      `/admin/communities/${community.id}/compare?links=${first.id},${second.id}`,
      cookie,
    )
    expect(compare.status).toBe(200)
    expect(textOf(compare.text)).not.toContain(hint)
  })

  it('not where every group is a Telegram chat, whose figures the bot observes', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id, { label: 'Stage' })
    await query(
      `update groups set telegram_chat_id = -1000000000000 - abs(random() % 1000000000000)
       where community_id = ?`,
      community.id,
    )
    const { cookie } = await signIn()
    for (const path of [
      `/admin/communities/${community.id}`,
      `/admin/links/${invite.id}`,
      `/admin/communities/${community.id}/members`,
    ]) {
      const answer = await page(path, cookie)
      expect(answer.status, path).toBe(200)
      expect(textOf(answer.text), path).not.toContain(note)
    }
  })
})

describe('the landing page counts who signed up through us, not who is in a WhatsApp group', () => {
  it('in German and English', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    // Before anyone came, no count: a "0" would tell the first visitors nobody did. (Another
    // link of the community: a page shown is kept a few seconds, its count with it.)
    const first = await createInvite(community.id)
    expect(textOf((await visit(`/i/${first.code}?lang=en`)).text)).not.toContain('signed up here')
    await joinAsMember(invite.code, { name: 'Zoe', phone: newPhone() })
    const en = textOf((await visit(`/i/${invite.code}?lang=en`)).text)
    expect(en).toContain('1 signed up here')
    expect(en).not.toMatch(/\b1 member\b/)
    const de = textOf((await visit(`/i/${invite.code}?lang=de`)).text)
    expect(de).toContain('1 hat sich hier angemeldet')
    expect(de).not.toMatch(/\b1 Mitglied\b/)
  })
})

describe('the privacy note of a community on WhatsApp', () => {
  it('says where its chat is left, and names no platform it is not on', async () => {
    const invite = await createInvite((await createCommunity()).id)
    for (const path of [`/i/${invite.code}?lang=en`, `/i/${invite.code}/join?lang=en`]) {
      const text = textOf((await visit(path)).text)
      expect(text, path).toContain('You leave the group chat itself separately, in WhatsApp.')
      expect(text, path).not.toContain('Telegram')
    }
  })
})

describe('a link that ended by its own terms says which community it was for', () => {
  it('used up or expired, not withdrawn', async () => {
    const community = await createCommunity()
    const usedUp = await createInvite(community.id, { maxUses: 1 })
    await joinAsMember(usedUp.code, { name: 'Una', phone: newPhone() })
    const gone = await visit(`/i/${usedUp.code}?lang=en`)
    expect(gone.status).toBe(410)
    expect(gone.text).toContain(`It was an invite to <bdi>${community.name}</bdi>.`)
    // One the admins withdrew may have leaked: it names nothing.
    const withdrawn = await createInvite(community.id)
    expect((await call('POST', `/api/invites/${withdrawn.id}/revoke`)).status).toBe(200)
    const revoked = await visit(`/i/${withdrawn.code}?lang=en`)
    expect(revoked.status).toBe(410)
    expect(revoked.text).not.toContain('It was an invite to')
  })
})
