import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { expect } from 'vitest'
import worker from '../../src/index'
import { CONFIRM_PURPOSE } from '../../src/lib/confirm-codes'
import { keyedHash, signToken } from '../../src/lib/signing'
import type {
  ApiMethod,
  ApiPath,
  ConcretePath,
  RequestJson,
  SuccessJson,
} from '../support/typed-api'

import { eventually } from '../support/eventually'
import { hubSignature, textNotification } from '../support/whatsapp-notifications'

export { eventually }

export const OWNER_TOKEN = 'test-owner-token-0123456789abcdef'
export const BASE = 'https://join.example.com'

export interface CallOptions<Body = unknown> {
  token?: string | null
  body?: Body
  rawBody?: BodyInit
  headers?: Record<string, string>
}

/** What `call` answers: `json` is the parsed body, when it was JSON. */
export interface Answer<Json = any> {
  status: number
  headers: Headers
  json: Json
  text: string
}

/**
 * Calls the Worker as a client would, with the owner token unless told otherwise.
 *
 * Name a documented operation, `call<'/api/communities/{id}', 'get'>('GET', `/api/communities/${id}`)`,
 * and the path, the body and the answer's `json` are typed from the OpenAPI document
 * (test/support/api-types.d.ts): a test reading a field the API no longer has fails the type
 * check. Without one (pages, deliberately broken requests), `json` is untyped.
 */
export async function call(method: string, path: string, options?: CallOptions): Promise<Answer>
export async function call<P extends ApiPath, M extends ApiMethod<P>>(
  method: Uppercase<M>,
  path: ConcretePath<P>,
  options?: CallOptions<RequestJson<P, M>>,
): Promise<Answer<SuccessJson<P, M>>>
export async function call(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? OWNER_TOKEN : options.token
  if (token) headers.authorization = `Bearer ${token}`
  let body = options.rawBody
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = JSON.stringify(options.body)
  }
  const response = await exports.default.fetch(
    new Request(BASE + path, { method, headers, body, redirect: 'manual' }),
  )
  const text = await response.text()
  let json: any = undefined
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    // Not JSON: the caller looks at `text`.
  }
  return { status: response.status, headers: response.headers, json, text }
}

/** Asserts a problem+json answer with the given status and code, and returns it. */
export function expectProblem(response: Answer, status: number, code: string) {
  expect(response.status, response.text).toBe(status)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  expect(response.json).toMatchObject({ status, code })
  expect(response.json.title).toBeTypeOf('string')
  expect(response.json.detail).toBeTypeOf('string')
  return response.json
}

let counter = 0
export function uniqueName(prefix = 'Community') {
  counter += 1
  return `${prefix} ${counter} ${crypto.randomUUID().slice(0, 8)}`
}

/**
 * A community for a test. Single opt-in unless asked otherwise: most tests are about what
 * happens after a join, and the double opt-in has tests of its own.
 */
export async function createCommunity(
  overrides: Partial<RequestJson<'/api/communities', 'post'>> = {},
) {
  const response = await call<'/api/communities', 'post'>('POST', '/api/communities', {
    body: {
      name: uniqueName(),
      description: 'A test community',
      visibility: 'open',
      consent: 'single',
      ...overrides,
    },
  })
  expect(response.status, response.text).toBe(201)
  return response.json
}

export async function createGroup(
  communityId: string,
  overrides: Partial<RequestJson<'/api/communities/{id}/groups', 'post'>> = {},
) {
  const response = await call<'/api/communities/{id}/groups', 'post'>(
    'POST',
    `/api/communities/${communityId}/groups`,
    { body: { name: uniqueName('Group'), ...overrides } },
  )
  expect(response.status, response.text).toBe(201)
  return response.json
}

export async function createToken(
  body: Omit<RequestJson<'/api/tokens', 'post'>, 'name'> & { name?: string },
) {
  // The body is a union by role; a name added to any of its members is still one of them.
  const response = await call<'/api/tokens', 'post'>('POST', '/api/tokens', {
    body: { name: 'test token', ...body } as RequestJson<'/api/tokens', 'post'>,
  })
  expect(response.status, response.text).toBe(201)
  return response.json
}

/** A community admin of `communityId` called `name`, made by the owner: its token and id. */
export function createAdmin(communityId: string, name: string) {
  return createToken({ name, role: 'community_admin', communityId })
}

/** Counts rows straight from D1, to prove a refused request wrote nothing. */
export async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>()
  return row?.n ?? 0
}

export async function createInvite(
  communityId: string,
  body: RequestJson<'/api/communities/{id}/invites', 'post'> = {},
) {
  const response = await call<'/api/communities/{id}/invites', 'post'>(
    'POST',
    `/api/communities/${communityId}/invites`,
    { body },
  )
  expect(response.status, response.text).toBe(201)
  return response.json
}

/** A landing page's view as the page hands it to the visits queue: a phone, from Germany. */
export function landingView(
  invite: { id: string; communityId: string },
  overrides: Record<string, unknown> = {},
) {
  return {
    inviteId: invite.id,
    communityId: invite.communityId,
    at: Date.now(),
    via: 'link',
    device: 'mobile',
    isBot: false,
    country: 'DE',
    referrerHost: null,
    visitorHash: '0'.repeat(32),
    ...overrides,
  }
}

/** Fetches a public page as a person's browser would. */
export async function visit(path: string, headers: Record<string, string> = {}) {
  return call('GET', path, {
    token: null,
    headers: {
      accept: 'text/html',
      'user-agent':
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
      ...headers,
    },
  })
}

/** Joins through an invite with the JSON form of the join flow. */
export async function joinJson(
  code: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return call('POST', `/i/${code}/join`, {
    token: null,
    body: { consent: true, ...body },
    headers: {
      accept: 'application/json',
      'cf-connecting-ip': `198.51.100.${Math.floor(Math.random() * 250)}`,
      ...headers,
    },
  })
}

/**
 * Joins as `joinJson` does and, where the member's own links wait for a proof (a single opt-in
 * answers with `confirmation` instead of them), gives it the way the contact's owner does: the
 * prefilled message sent from that number's WhatsApp or, for an address, the link e-mailed to it
 * (signed here as the Worker signs it, since no mail system listens in these tests). The answer's
 * `memberId`, `referralUrl`, `leaveUrl` and `telegramStartUrl` are then the member's, as the page
 * after the proof shows them: the status page for the code, the link's own page for the e-mail.
 */
export async function joinAsMember(
  code: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const joined = await joinJson(code, body, headers)
  const proof = joined.json?.confirmation
  if (joined.status !== 201 || joined.json.status !== 'active' || !proof) return joined
  let page: string
  if (proof.whatsappUrl) {
    await sendCodeFrom(joined, String(body.phone))
    await eventually(async () => {
      const [row] = await query<{ method: string | null }>(
        'select phone_consent_method as method from join_requests where id = ?',
        joined.json.joinRequestId,
      )
      expect(row?.method).toBe('whatsapp_message')
    })
    page = (await visit(new URL(joined.json.statusUrl).pathname + '?lang=en')).text
  } else {
    page = await pressEmailLink(joined.json.joinRequestId)
  }
  const [request] = await query<{ member_id: string | null }>(
    'select member_id from join_requests where id = ?',
    joined.json.joinRequestId,
  )
  const href = (pattern: RegExp) => page.match(pattern)?.[1] ?? null
  joined.json = {
    ...joined.json,
    confirmation: undefined,
    memberId: request!.member_id,
    referralUrl: href(/<p class="code"><a href="([^"]+)"/),
    leaveUrl: href(/<a href="(https:\/\/[^"]+\/leave\/[^"]+)"/),
    telegramStartUrl: href(/<a href="(https:\/\/t\.me\/[^"?]+\?start=[^"]+)"/),
  }
  return joined
}

/** Lets the time to prove these sign-ups' contacts run out, as if `CONFIRM_EXPIRY_HOURS` had passed. */
export async function endProofTime(...joinRequestIds: string[]): Promise<void> {
  await query(
    `update join_requests set confirm_expires_at = ?
     where id in (select value from json_each(?))`,
    Date.now() - 1000,
    JSON.stringify(joinRequestIds),
  )
}

/**
 * Presses the button of a sign-up's e-mailed confirmation link, as the address's owner does (the
 * link signed here as the Worker signs it): the page it then shows.
 */
export async function pressEmailLink(joinRequestId: string): Promise<string> {
  const token = await signToken(env.SIGNING_SECRET, CONFIRM_PURPOSE, joinRequestId)
  const confirmed = await call('POST', `/confirm/${token}?lang=en`, {
    token: null,
    headers: { accept: 'text/html', 'sec-fetch-site': 'same-origin' },
  })
  expect(confirmed.status, confirmed.text).toBe(200)
  return confirmed.text
}

/**
 * A sign-up's status page as its holder sees it, without what differs on every view (nonce,
 * code, its link and QR code, the time it is valid until): two pages that must read the same
 * compare equal.
 */
export async function statusPageOf(answer: { json: { statusUrl: string } }): Promise<string> {
  const page = await visit(new URL(answer.json.statusUrl).pathname + '?lang=en')
  expect(page.status).toBe(200)
  return page.text
    .replace(/nonce="[^"]+"/g, 'nonce')
    .replace(/Valid until [^<]+/g, 'Valid until')
    .replace(/<p class="code" lang="zxx" translate="no">[^<]+/g, 'CODE')
    .replace(/wa\.me\/[^"]+/g, 'wa.me')
    .replace(/data:image\/svg\+xml;base64,[^"]+/g, 'QR')
    .replace(/the code [A-Z0-9-]+/g, 'the code')
    .replace(/<bdi>[A-Z0-9]{4}-[A-Z0-9]{4}<\/bdi>/g, '<bdi>CODE</bdi>')
}

/**
 * Sends a sign-up's prefilled confirmation message (it carries the code its status page shows)
 * from a number's own WhatsApp, as the number's owner does: by default the number the sign-up
 * gave. The inbound queue applies it a moment later: callers wait for what it changes.
 */
export async function sendCodeFrom(
  answer: { json: { joinRequestId: string; confirmation: { whatsappUrl: string } } },
  phone?: string,
): Promise<void> {
  const url = new URL(answer.json.confirmation.whatsappUrl)
  const [row] = await query<{ phone: string }>(
    'select phone from join_requests where id = ?',
    answer.json.joinRequestId,
  )
  await notifyWhatsApp(textNotification(phone ?? row!.phone, url.searchParams.get('text')!))
}

/**
 * The membership a sign-up made, by its answer: a single opt-in answer keeps the member's id until
 * a proof (see `joinAsMember`), the sign-up knows it. Null when it made none.
 */
export async function memberIdOf(answer: { json: { joinRequestId?: string } }) {
  const [row] = await query<{ member_id: string | null }>(
    'select member_id from join_requests where id = ?',
    answer.json.joinRequestId ?? '',
  )
  return row?.member_id ?? null
}

/** Hands the Worker a WhatsApp webhook notification, signed as Meta signs it. */
export async function notifyWhatsApp(payload: unknown): Promise<void> {
  const body = JSON.stringify(payload)
  const response = await call('POST', '/webhooks/whatsapp', {
    token: null,
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': await hubSignature(body),
    },
  })
  expect(response.status, response.text).toBe(200)
}

let phoneCounter = 0
/**
 * A valid German mobile number, different on every call. Its last two digits stay below 90: the
 * local WhatsApp stand-in steers its failures by endings 93-99, and a test that wants one asks
 * for it by name.
 */
/** The code of an invite link (`…/i/<code>`): what a referral link's joins are sent to. */
export function inviteCodeOf(url: string): string {
  return new URL(url).pathname.split('/')[2]!
}

export function newPhone(): string {
  phoneCounter = (phoneCounter + 1) % 90
  const head = 100_000 + Math.floor(Math.random() * 800_000)
  return `+49151${head}${String(phoneCounter).padStart(2, '0')}`
}

export async function query<T = Record<string, unknown>>(sql: string, ...params: unknown[]) {
  const { results } = await env.DB.prepare(sql)
    .bind(...params)
    .all()
  return results as T[]
}

/**
 * Rate limits count in fixed windows aligned to the clock. A test that fills a limit first waits,
 * when the current window has less than `seconds` left, for the next one to begin, so that its
 * requests are never split across two windows.
 */
export async function withinOneWindow(windowSeconds: number, seconds: number): Promise<void> {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000))
  if (left < seconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 100))
}

/** Runs the every-minute cron job as Cloudflare would at `at`, and waits for all it started. */
export async function runCron(at: Date | number): Promise<void> {
  const ctx = createExecutionContext()
  await worker.scheduled(
    createScheduledController({ cron: '* * * * *', scheduledTime: at }),
    env,
    ctx,
  )
  await waitOnExecutionContext(ctx)
}

/** The key a handled WhatsApp message is remembered by: a keyed hash of Meta's message id. */
export async function handledMessageKey(wamid: string): Promise<string> {
  return `msg:${await keyedHash(env.SIGNING_SECRET, 'wamid', wamid)}`
}
