import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { call, createCommunity, createToken, eventually, query } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/** The webhooks page says what an endpoint receives in words, the wildcard too. */
it('shows an endpoint subscribed to everything as every event, not as a bare asterisk', async () => {
  const created = await call('POST', '/api/webhooks', {
    body: { url: 'https://hooks.example.com/everything', events: ['*'] },
  })
  expect(created.status, created.text).toBe(201)
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const section = html.slice(html.indexOf('https://hooks.example.com/everything'))
  expect(section).toContain(DASHBOARD_WORDS.en.allEvents)
  expect(section).not.toContain('<code>*</code>')
  // Nothing sent to it yet: said so, with no empty table under it.
  const own = section.slice(0, section.indexOf('</section>'))
  expect(own).toContain(DASHBOARD_WORDS.en.noDeliveries)
  expect(own).not.toContain('<table')
})

it('offers every event, future ones too, first and ticked, or only the events chosen', async () => {
  const { cookie } = await signIn()
  const form = (await page('/admin/webhooks', cookie)).text
  expect(form).toMatch(/name="events" value="\*" checked=""/)
  expect(form).not.toMatch(/name="events" value="member\.joined" checked=""/)
  const subscribe = async (events: string[]) => {
    const url = `https://hooks.example.com/${crypto.randomUUID()}`
    const made = await post('/admin/webhooks', cookie, { _csrf: csrfOf(form), url, events })
    expect(made.status, made.text.slice(0, 300)).toBe(200)
    const [row] = await query<{ events: string }>(
      'select events from webhook_endpoints where url = ?',
      url,
    )
    return JSON.parse(row!.events)
  }
  // Every event takes in any ticked with it.
  expect(await subscribe(['*', 'member.joined'])).toEqual(['*'])
  expect(await subscribe(['member.left', 'member.joined', 'member.left'])).toEqual([
    'member.left',
    'member.joined',
  ])
})

it('labels each delivery’s columns, when it was last tried among them, on a phone too', async () => {
  const created = await call('POST', '/api/webhooks', {
    body: { url: `https://hooks.example.com/${crypto.randomUUID()}`, events: ['*'] },
  })
  // An event, and its delivery the endpoint refused, as the events job records them.
  const eventId = `evt_${crypto.randomUUID()}`
  const at = Date.UTC(2026, 11, 7, 9, 30)
  await query(
    `insert into events (id, type, community_id, payload, created_at) values (?, 'member.joined', ?, '{}', ?)`,
    eventId,
    (await createCommunity()).id,
    at,
  )
  await query(
    `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, last_error, response_status, updated_at)
     values (?, ?, 'failed', 3, 'HTTP 500 from the endpoint', 500, ?)`,
    eventId,
    created.json.id,
    at,
  )
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const section = html.slice(html.indexOf(created.json.url))
  const table = section.slice(section.indexOf('<table'), section.indexOf('</table>'))
  expect(table).toContain('<th>Last tried</th>')
  expect(table).toContain('data-label="Last tried"><time datetime="2026-12-07T09:30:00.000Z">')
  expect(table).toContain('7 Dec 2026, 09:30 UTC')
  expect(table).toContain('data-label="Answer (HTTP)">500')
})

it('names the community an endpoint is for, shows its deliveries on that community’s clock, and offers to copy a new secret', async () => {
  const community = await createCommunity({ timeZone: 'America/New_York' })
  const { cookie } = await signIn()
  const made = await post('/admin/webhooks', cookie, {
    _csrf: csrfOf((await page('/admin/webhooks', cookie)).text),
    url: `https://hooks.example.com/${crypto.randomUUID()}`,
    events: 'member.joined',
    communityId: community.id,
  })
  const secret = /<p class="code">(whsec_[^<]+)<\/p>/.exec(made.text)?.[1]
  expect(secret).toBeDefined()
  expect(made.text).toContain(`data-copy="${secret}"`)
  const [endpoint] = await query<{ id: string; url: string }>(
    'select id, url from webhook_endpoints where community_id = ?',
    community.id,
  )
  // The community's audit log names the endpoint made (its URL while it exists).
  await eventually(async () => {
    const [entry] = await query<{ target_id: string }>(
      `select target_id from audit_log where community_id = ? and action = 'webhook.created'`,
      community.id,
    )
    expect(entry?.target_id).toBe(endpoint!.id)
  })
  const eventId = `evt_${crypto.randomUUID()}`
  const at = Date.UTC(2026, 11, 7, 15, 30)
  await query(
    `insert into events (id, type, community_id, payload, created_at) values (?, 'member.joined', ?, '{}', ?)`,
    eventId,
    community.id,
    at,
  )
  await query(
    `insert into webhook_deliveries (event_id, endpoint_id, status, attempts, response_status, updated_at)
     values (?, ?, 'delivered', 1, 204, ?)`,
    eventId,
    endpoint!.id,
    at,
  )
  const html = (await page('/admin/webhooks', cookie)).text
  const section = html.slice(html.indexOf(`<h2 class="code">${endpoint!.url}`))
  expect(section.slice(0, section.indexOf('</section>'))).toContain(
    `For the community <bdi>${community.name}</bdi>`,
  )
  expect(section).toContain('7 Dec 2026, 10:30 GMT-5')
})

it('names the community of an endpoint past the hundred communities the form lists', async () => {
  for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 21 }, () => createCommunity()))
  const last = await createCommunity({ name: `Late ${crypto.randomUUID().slice(0, 6)}` })
  const url = `https://hooks.example.com/${crypto.randomUUID()}`
  const created = await call('POST', '/api/webhooks', {
    body: { url, events: ['*'], communityId: last.id },
  })
  expect(created.status, created.text).toBe(201)
  const { cookie } = await signIn()
  const html = (await page('/admin/webhooks', cookie)).text
  const section = html.slice(html.indexOf(`<h2 class="code">${url}`))
  expect(section.slice(0, section.indexOf('</section>'))).toContain(
    `For the community <bdi>${last.name}</bdi>`,
  )
}, 60_000)

describe('unsubscribing an endpoint on the webhooks page', () => {
  it('asks first, then the endpoint gets no more events and the page says so', async () => {
    const community = await createCommunity()
    const url = `https://hooks.example.com/${crypto.randomUUID()}`
    const created = await call('POST', '/api/webhooks', {
      body: { url, events: ['*'], communityId: community.id },
    })
    const { cookie } = await signIn()
    const html = (await page('/admin/webhooks?lang=de', cookie)).text
    const form = new RegExp(
      `<form method="post" action="/admin/webhooks/${created.json.id}/remove\\?lang=de"[^>]*>`,
    ).exec(html)?.[0]
    expect(form, 'a button for the endpoint').toBeTruthy()
    expect(form).toContain(`data-confirm="Den Endpunkt ${url} abbestellen?`)

    const removed = await post(`/admin/webhooks/${created.json.id}/remove?lang=de`, cookie, {
      _csrf: csrfOf(html),
    })
    expect(removed.status).toBe(303)
    const after = await page(removed.headers.get('location')!, cookie)
    expect(after.text).toContain('Der Endpunkt ist abbestellt: Er bekommt keine Ereignisse mehr.')
    expect(after.text).not.toContain(url)
    const listed = await call('GET', '/api/webhooks')
    expect(listed.json.data.map((endpoint: { id: string }) => endpoint.id)).not.toContain(
      created.json.id,
    )
    // In the community's audit log, as the API's removal is.
    const entries = await query<{ action: string; community_id: string }>(
      'select action, community_id from audit_log where target_id = ? order by at, id',
      created.json.id,
    )
    expect(entries.at(-1)).toEqual({ action: 'webhook.removed', community_id: community.id })
  })

  it('lets a community admin unsubscribe their community’s endpoints, and no one else’s', async () => {
    const own = await createCommunity()
    const other = await createCommunity()
    const endpoint = async (communityId?: string) =>
      (
        await call('POST', '/api/webhooks', {
          body: {
            url: `https://hooks.example.com/${crypto.randomUUID()}`,
            events: ['*'],
            ...(communityId ? { communityId } : {}),
          },
        })
      ).json.id as string
    const ours = await endpoint(own.id)
    const theirs = await endpoint(other.id)
    const everyone = await endpoint()
    const admin = await createToken({ role: 'community_admin', communityId: own.id })
    const { cookie } = await signIn(admin.token)
    const html = (await page('/admin/webhooks', cookie)).text
    expect(html).toContain(`action="/admin/webhooks/${ours}/remove"`)
    // The installation's endpoint is not theirs: not listed to them, and only owners remove it.
    expect(html).not.toContain(`action="/admin/webhooks/${everyone}/remove"`)
    const csrf = csrfOf(html)
    expect((await post(`/admin/webhooks/${theirs}/remove`, cookie, { _csrf: csrf })).status).toBe(
      404,
    )
    expect((await post(`/admin/webhooks/${everyone}/remove`, cookie, { _csrf: csrf })).status).toBe(
      403,
    )
    expect((await post(`/admin/webhooks/${ours}/remove`, cookie, { _csrf: csrf })).status).toBe(303)
    const live = await query<{ id: string }>(
      'select id from webhook_endpoints where id in (?, ?, ?) and disabled_at is null',
      ours,
      theirs,
      everyone,
    )
    expect(live.map((row) => row.id).sort()).toEqual([theirs, everyone].sort())
  })
})

/** Confirmation links go wherever an endpoint leads: the page names who subscribed each. */
it('names who subscribed each endpoint; the bootstrap owner’s names nobody', async () => {
  const community = await createCommunity()
  const admin = await createToken({
    name: 'Mail Admin Mia',
    role: 'community_admin',
    communityId: community.id,
  })
  const subscribe = async (token?: string) =>
    (
      await call('POST', '/api/webhooks', {
        token,
        body: {
          url: `https://hooks.example.com/${crypto.randomUUID()}`,
          events: ['member.confirmation_requested'],
          communityId: community.id,
        },
      })
    ).json.url as string
  const theirs = await subscribe(admin.token)
  const owners = await subscribe()
  const { cookie } = await signIn()
  const sectionOf = (html: string, url: string) => {
    const from = html.slice(html.indexOf(`<h2 class="code">${url}</h2>`))
    return from.slice(0, from.indexOf('</section>'))
  }
  const html = (await page('/admin/webhooks', cookie)).text
  expect(sectionOf(html, theirs)).toContain('Subscribed by <bdi>Mail Admin Mia</bdi>')
  expect(sectionOf(html, owners)).not.toContain('Subscribed by')
  // In German too.
  const german = await call('GET', '/admin/webhooks', {
    token: null,
    headers: { cookie, accept: 'text/html', 'accept-language': 'de' },
  })
  expect(sectionOf(german.text, theirs)).toContain('Abonniert von <bdi>Mail Admin Mia</bdi>')
})
