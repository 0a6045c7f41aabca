import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import worker from '../../src/index'
import {
  BASE,
  call,
  createInvite,
  eventually,
  joinJson,
  newPhone,
  OWNER_TOKEN,
} from '../worker/helpers'
import { memberUpdate, newUser, postUpdate } from '../support/telegram-updates'
import { telegramCommunity, verifiedOf, withTelegramLink } from './support'

/**
 * What the tests of Telegram's counted joins share: a link with joins Telegram saw, a sign-up
 * through our form, and a page read as a person reads it, with its D1 round trips.
 */

/** A link on a Telegram group, with `joins` people Telegram saw join through it. */
export async function telegramLinkWithJoins(joins: number, fields: { source?: string } = {}) {
  const world = await telegramCommunity()
  const invite = await createInvite(world.community.id, {
    groupId: world.group.id,
    label: 'Steg',
    ...fields,
  })
  const url = await withTelegramLink(invite.id)
  for (let i = 0; i < joins; i++)
    await postUpdate(memberUpdate(world.chatId, newUser('Paddler'), 'joined', { inviteLink: url }))
  await eventually(async () => expect((await verifiedOf(invite.id)).joins).toBe(joins))
  return { ...world, invite, url }
}

/**
 * Someone signs up through our form on the link (single opt-in: sent on to the chat at once),
 * from `country` where given.
 */
export async function formSignUp(code: string, country?: string) {
  const headers: Record<string, string> = country ? { 'cf-ipcountry': country } : {}
  const answer = await joinJson(code, { name: 'Form Person', phone: newPhone() }, headers)
  expect(answer.status, answer.text).toBe(201)
}

/** A dashboard page in German, as a browser set to German (or to nothing) opens it. */
export async function german(path: string, cookie: string) {
  const answer = await call('GET', path, { token: null, headers: { cookie, accept: 'text/html' } })
  expect(answer.status, answer.text.slice(0, 300)).toBe(200)
  return answer.text
}

/**
 * A dashboard page (signed in with `cookie`) in `lang` or, without one, an API answer straight
 * from the Worker, with the D1 round trips it took.
 */
export async function measured(path: string, cookie?: string, lang = 'en') {
  const ctx = createExecutionContext()
  const response = await worker.fetch(
    new Request(BASE + path, {
      headers: cookie
        ? { cookie, accept: 'text/html', 'accept-language': lang }
        : { authorization: `Bearer ${OWNER_TOKEN}` },
    }),
    { ...env, D1_ROUND_TRIP_HEADER: 'true' },
    ctx,
  )
  const text = await response.text()
  await waitOnExecutionContext(ctx)
  expect(response.status, text.slice(0, 300)).toBe(200)
  const trips = response.headers.get('x-d1-round-trips')
  expect(trips, 'the answer counts its round trips').toMatch(/^\d+$/)
  return { text, trips: Number(trips) }
}

/** A page's stats: the figures, not the test's own names above them nor the forms after them. */
export function statsPart(html: string): string {
  const start = html.indexOf('<div class="funnel">')
  // A link's page has its forms after its figures.
  const forms = html.indexOf('<section id="edit">', start)
  return html.slice(start, forms > -1 ? forms : html.indexOf('</main>'))
}

/** The home page's row of a community, up to its end. */
export function homeRow(html: string, name: string): string {
  const start = html.indexOf(`<bdi>${name}</bdi></a></td>`)
  expect(start, `${name} on the home page`).toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</tr>', start))
}
