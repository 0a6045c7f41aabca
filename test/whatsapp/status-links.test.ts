import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { base64Url, hmacSha256, sha256Hex } from '../../src/lib/crypto'
import { open, seal } from '../../src/lib/secret-box'
import { MESSAGES } from '../../src/lib/i18n'
import {
  call,
  createCommunity,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  query,
  sendCodeFrom,
  visit,
} from '../worker/helpers'
import { sentTo } from './meta'

/**
 * A status page's link is its holder's alone: its token is random, the database keeps its hash
 * and the token sealed with the signing secret, and a WhatsApp reply to the number that sent the
 * page's code carries the link only where the sealed token opens with the secret and matches.
 */

/**
 * A sign-up with a phone number, waiting for its code (a double opt-in), in a community whose
 * group has `chat` as its chat link, or none.
 */
async function signUp(chat: string | null = null) {
  const community = await createCommunity({ consent: 'double' })
  if (chat) {
    const groups = await call('GET', `/api/communities/${community.id}/groups`)
    const announcement = groups.json.data.find((g: { kind: string }) => g.kind === 'announcement')
    const linked = await call('PATCH', `/api/groups/${announcement.id}`, {
      body: { chatInviteUrl: chat },
    })
    expect(linked.status, linked.text).toBe(200)
  }
  const invite = await createInvite(community.id)
  const phone = newPhone()
  const joined = await joinJson(invite.code, { name: 'Rosa', phone })
  expect(joined.status, joined.text).toBe(201)
  const token = new URL(joined.json.statusUrl).pathname.split('/').pop()!
  return { joined, phone, token, id: joined.json.joinRequestId as string }
}

async function storedToken(id: string) {
  const [row] = await query<{ hash: string; sealed: string | null }>(
    'select status_token_hash as hash, status_token_sealed as sealed from join_requests where id = ?',
    id,
  )
  return row!
}

/** The texts sent to the number, once `count` of them went. */
async function textsTo(phone: string, count: number) {
  return eventually(async () => {
    const texts = (await sentTo(phone)).flatMap((m) => (m.text ? [m.text.body] : []))
    expect(texts).toHaveLength(count)
    return texts
  })
}

describe('status-page links', () => {
  it('are random: the signing secret and the sign-up’s id do not make one, and the database keeps its hash and the token sealed', async () => {
    const { joined, phone, token, id } = await signUp()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // Whoever holds the signing secret (and sees the sign-up's id in an API list, a webhook or
    // the audit log) cannot make the token.
    const derived = base64Url(await hmacSha256(env.SIGNING_SECRET, `status-link:${id}`))
    expect(token).not.toBe(derived)

    const stored = await storedToken(id)
    expect(stored.hash).toBe(await sha256Hex(token))
    expect(stored.sealed).not.toBeNull()
    expect(stored.sealed).not.toContain(token)
    // Only the secret opens the sealed token; another secret does not.
    expect(await open(env.SIGNING_SECRET, stored.sealed!)).toBe(token)
    await expect(open(`${env.SIGNING_SECRET}-rotated`, stored.sealed!)).rejects.toThrow()

    // The number's owner sends the page's code: the reply carries the page's own link.
    await sendCodeFrom(joined, phone)
    const [reply] = await textsTo(phone, 1)
    expect(reply).toContain(`${joined.json.statusUrl}?lang=de`)
  })

  it('go in no reply where the sealed token does not open with the secret, or none was kept', async () => {
    // Sealed with an earlier secret (the secret was changed since), and from before tokens were
    // kept sealed: the pages still open with their links, the replies name them without one.
    const rotated = await signUp()
    await query(
      'update join_requests set status_token_sealed = ? where id = ?',
      await seal('an-earlier-signing-secret-0123456789abcdef', rotated.token),
      rotated.id,
    )
    const before = await signUp()
    await query('update join_requests set status_token_sealed = null where id = ?', before.id)

    for (const { joined, phone } of [rotated, before]) {
      await sendCodeFrom(joined, phone)
      const [reply] = await textsTo(phone, 1)
      expect(reply).toContain('deiner Statusseite.')
      expect(reply).not.toContain('/s/')
    }
  })
})

describe('the answer to a code, on the way into the group', () => {
  it('names the group link on the status page only where the page has one', async () => {
    const linked = await signUp('https://chat.whatsapp.com/KiezMakers2026')
    await sendCodeFrom(linked.joined, linked.phone)
    const [withChat] = await textsTo(linked.phone, 1)
    expect(withChat).toContain(
      `In die Gruppe kommst du über den Gruppenlink auf deiner Statusseite: ${linked.joined.json.statusUrl}?lang=de`,
    )

    // No chat link set up: the page says it is not there yet, and so does the reply.
    const unlinked = await signUp()
    await sendCodeFrom(unlinked.joined, unlinked.phone)
    const [withoutChat] = await textsTo(unlinked.phone, 1)
    expect(withoutChat).not.toContain('Gruppenlink')
    expect(withoutChat).toContain(
      `Den Link zur Gruppe haben die Admins noch nicht eingerichtet; sobald sie es tun, steht er auf deiner Statusseite: ${unlinked.joined.json.statusUrl}?lang=de`,
    )
    const page = (await visit(`${new URL(unlinked.joined.json.statusUrl).pathname}?lang=de`)).text
    expect(page).toContain(MESSAGES.de.approvedTitle)
    expect(page).toContain(MESSAGES.de.noChatYet)
  })
})
