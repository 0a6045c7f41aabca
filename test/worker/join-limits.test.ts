import { describe, expect, it } from 'vitest'
import { networkOf } from '../../src/services/join-limits'
import {
  countRows,
  createCommunity,
  createInvite,
  expectProblem,
  joinJson,
  newPhone,
  withinOneWindow,
} from './helpers'

/** The same phone model, the same iOS: what a room full of iPhones sends. */
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'

/** A User-Agent that differs on every call, as a script rotating them sends. */
function rotatingUserAgent(i: number) {
  return `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/${100 + i}.0.${i}.0 Safari/537.36`
}

/** Runs `count` joins, `parallel` at a time, and returns their answers in order. */
async function joinMany(
  count: number,
  join: (i: number) => ReturnType<typeof joinJson>,
  parallel = 20,
) {
  const answers: Awaited<ReturnType<typeof joinJson>>[] = []
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, (_, i) => start + i)
    answers.push(...(await Promise.all(batch.map(join))))
  }
  return answers
}

describe('a crowd on one venue Wi-Fi all gets in', () => {
  it('200 different people from one address with the same browser join within ten minutes', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const venue = { 'cf-connecting-ip': '192.0.2.10', 'user-agent': IPHONE }
    const answers = await joinMany(200, (i) =>
      joinJson(invite.code, { name: `Guest ${i}`, phone: newPhone() }, venue),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(200).fill(201))
  }, 60_000)
})

describe('one contact is tightly limited', () => {
  it('the same phone number, however it is written, from any address and browser: 5 an hour', async () => {
    const invite = await createInvite((await createCommunity()).id)
    await withinOneWindow(3600, 10)
    const digits = newPhone().slice(3) // the national number after +49
    const spellings = [
      `+49${digits}`,
      `+49 ${digits.slice(0, 3)} ${digits.slice(3)}`,
      `0${digits}`,
      `\u202A+49${digits}\u202C`,
      `(0${digits.slice(0, 3)}) ${digits.slice(3)}`,
    ]
    const answers = []
    for (const [i, phone] of spellings.entries()) {
      answers.push(
        await joinJson(
          invite.code,
          { name: 'Repeat', phone },
          { 'cf-connecting-ip': `203.0.113.${20 + i}`, 'user-agent': rotatingUserAgent(i) },
        ),
      )
    }
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201])
    const sixth = await joinJson(
      invite.code,
      { name: 'Repeat', phone: `+49${digits}`, email: 'fresh-address@example.com' },
      { 'cf-connecting-ip': '203.0.113.99', 'user-agent': rotatingUserAgent(99) },
    )
    expectProblem(sixth, 429, 'rate_limited')
    const retryAfter = Number(sixth.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(3600)
    // Someone else on those addresses is not held back.
    const neighbour = await joinJson(
      invite.code,
      { name: 'Neighbour', phone: newPhone() },
      { 'cf-connecting-ip': '203.0.113.99', 'user-agent': rotatingUserAgent(99) },
    )
    expect(neighbour.status).toBe(201)
  }, 30_000)

  /** Joins with each of `emails` in turn (a new number and address each): their statuses. */
  async function joinsWith(code: string, emails: string[], network: string) {
    await withinOneWindow(3600, 10)
    const statuses = []
    for (const [i, email] of emails.entries()) {
      const answer = await joinJson(
        code,
        { name: 'Mail', email, phone: newPhone() },
        { 'cf-connecting-ip': `${network}.${i}`, 'user-agent': rotatingUserAgent(i) },
      )
      statuses.push(answer.status)
    }
    return statuses
  }

  it('one Gmail inbox, whatever dots and tags its name is written with', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const name = `dots${crypto.randomUUID().replaceAll('-', '').slice(0, 8)}`
    const spell = (i: number) => `${name.slice(0, i + 1)}.${name.slice(i + 1)}`
    const spellings = [
      `${name}@gmail.com`,
      `${spell(0)}@gmail.com`,
      `${spell(1)}+x@gmail.com`,
      `${spell(2)}@googlemail.com`,
      `${name}+y@googlemail.com`,
      `${spell(3)}@gmail.com`,
    ]
    expect(await joinsWith(invite.code, spellings, '198.18.1')).toEqual([
      201, 201, 201, 201, 201, 429,
    ])
  }, 30_000)

  it('the same e-mail inbox, in any case or with any +tag, even with a new phone number each time', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const mailbox = `repeat-${crypto.randomUUID().slice(0, 8)}`
    const spellings = [
      `${mailbox}@example.com`,
      `${mailbox.toUpperCase()}@EXAMPLE.COM`,
      `${mailbox}+1@example.com`,
      `${mailbox}+news@example.com`,
      `${mailbox}+@example.com`,
      `${mailbox}+2@example.com`,
    ]
    expect(await joinsWith(invite.code, spellings, '198.18.0')).toEqual([
      201, 201, 201, 201, 201, 429,
    ])
    // Another inbox is not held back.
    const other = await joinJson(
      invite.code,
      { name: 'Mail', email: `${mailbox}-other@example.com`, phone: newPhone() },
      { 'cf-connecting-ip': '198.18.0.99', 'user-agent': rotatingUserAgent(99) },
    )
    expect(other.status, other.text).toBe(201)
  }, 30_000)
})

describe('one address is limited as documented, whatever its User-Agent', () => {
  it('30 joins rotating the User-Agent are counted against one address: the 301st in ten minutes waits', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const address = '192.0.2.30'
    await withinOneWindow(600, 40)
    const rotating = await joinMany(30, (i) =>
      joinJson(
        invite.code,
        { name: `Rotating ${i}`, phone: newPhone() },
        { 'cf-connecting-ip': address, 'user-agent': rotatingUserAgent(i) },
      ),
    )
    // Sized for crowds: 30 people, or 30 User-Agents, are well within it.
    expect(rotating.map((answer) => answer.status)).toEqual(Array(30).fill(201))
    const rest = await joinMany(270, (i) =>
      joinJson(
        invite.code,
        { name: `More ${i}`, email: `more-${i}-${invite.code}@example.com` },
        { 'cf-connecting-ip': address, 'user-agent': rotatingUserAgent(30 + i) },
      ),
    )
    expect(rest.every((answer) => answer.status === 201)).toBe(true)
    const before = await countRows('join_requests')
    const over = await joinJson(
      invite.code,
      { name: 'One too many', phone: newPhone() },
      { 'cf-connecting-ip': address, 'user-agent': 'A brand-new browser/1.0 (never seen)' },
    )
    expectProblem(over, 429, 'rate_limited')
    const retryAfter = Number(over.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(600)
    expect(await countRows('join_requests')).toBe(before)
    // Another address is not held back by this one.
    const elsewhere = await joinJson(
      invite.code,
      { name: 'Elsewhere', phone: newPhone() },
      { 'cf-connecting-ip': '192.0.2.31', 'user-agent': IPHONE },
    )
    expect(elsewhere.status).toBe(201)
  }, 60_000)

  it('counts an IPv6 network as one address: a device rotating through its /64 gains nothing', () => {
    expect(networkOf('2001:db8:1:2:aaaa::1')).toBe(networkOf('2001:db8:1:2:bbbb:cccc:dddd:2'))
    expect(networkOf('2001:0db8:0001:0002::')).toBe(networkOf('2001:db8:1:2::ffff'))
    expect(networkOf('2001:db8:1:3::1')).not.toBe(networkOf('2001:db8:1:2::1'))
    expect(networkOf('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(networkOf('192.0.2.1')).toBe('192.0.2.1')
  })

  it('a flood from one address is stopped at the edge before any database work', async () => {
    const invite = await createInvite((await createCommunity()).id)
    const flood = { 'cf-connecting-ip': '192.0.2.66', 'user-agent': 'flood/1.0' }
    await withinOneWindow(60, 20)
    // 600 attempts a minute pass the edge (these are refused later, as bad input).
    const garbage = await joinMany(600, () => joinJson(invite.code, { name: '' }, flood), 50)
    expect(garbage.every((answer) => answer.status === 400)).toBe(true)
    const before = await countRows('rate_limits')
    const stopped = await joinJson(invite.code, { name: 'Flood', phone: newPhone() }, flood)
    expectProblem(stopped, 429, 'rate_limited')
    expect(stopped.headers.get('retry-after')).toBe('60')
    expect(await countRows('rate_limits')).toBe(before)
  }, 60_000)
})
