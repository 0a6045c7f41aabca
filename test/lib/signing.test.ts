import { describe, expect, it } from 'vitest'
import { keyedHash, signToken, verifyToken } from '../../src/lib/signing'
import { sha256Hex } from '../../src/lib/crypto'
import { seal } from '../../src/lib/secret-box'
import { newStatusToken, statusPageLink } from '../../src/lib/status-links'

const SECRET = 'test-signing-secret-0123456789abcdef0123456789'

describe('signed tokens (leave links, form tokens)', () => {
  it('give back their subject for the purpose they were made for', async () => {
    const token = await signToken(SECRET, 'leave', 'mem_01.with.dots')
    expect(token).toMatch(/^mem_01\.with\.dots\.[\w-]{32}$/)
    expect(await verifyToken(SECRET, 'leave', token)).toBe('mem_01.with.dots')
  })

  it('refuse another purpose, another secret, a changed subject or signature', async () => {
    const token = await signToken(SECRET, 'leave', 'mem_01')
    const signature = token.slice(token.lastIndexOf('.') + 1)
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)
    expect(await verifyToken(SECRET, 'status', token)).toBeNull()
    expect(await verifyToken(`${SECRET}x`, 'leave', token)).toBeNull()
    expect(await verifyToken(SECRET, 'leave', `mem_02.${signature}`)).toBeNull()
    expect(await verifyToken(SECRET, 'leave', `mem_01.${flipped}`)).toBeNull()
    for (const broken of ['', 'mem_01', '.abc', `mem_01.${signature.slice(1)}`])
      expect(await verifyToken(SECRET, 'leave', broken), broken).toBeNull()
  })
})

describe('keyed hashes (counters of phone numbers and addresses)', () => {
  it('are stable for one secret and purpose, and differ for another of either', async () => {
    const hash = await keyedHash(SECRET, 'phone', '+4915112345678')
    expect(await keyedHash(SECRET, 'phone', '+4915112345678')).toBe(hash)
    expect(await keyedHash(SECRET, 'email', '+4915112345678')).not.toBe(hash)
    expect(await keyedHash(`${SECRET}x`, 'phone', '+4915112345678')).not.toBe(hash)
    expect(hash).not.toContain('4915112345678')
  })
})

describe('status-page links', () => {
  it('are random, stored as a hash and sealed, and made again only with the secret that sealed them', async () => {
    const made = await newStatusToken(SECRET)
    // The shape the status page's route takes.
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await newStatusToken(SECRET)).token).not.toBe(made.token)
    expect(made.hash).toBe(await sha256Hex(made.token))
    expect(made.sealed).not.toContain(made.token)
    const stored = { statusTokenHash: made.hash, statusTokenSealed: made.sealed }
    expect(await statusPageLink(SECRET, 'https://join.example.com', stored, 'en')).toBe(
      `https://join.example.com/s/${made.token}?lang=en`,
    )
    // Where the language is not known, the browser's decides.
    expect(await statusPageLink(SECRET, 'https://join.example.com', stored, null)).toBe(
      `https://join.example.com/s/${made.token}`,
    )
    // A changed secret opens no link: whoever held the old one opens no page through the Worker.
    expect(await statusPageLink(`${SECRET}x`, 'https://x.example', stored, 'de')).toBeNull()
  })

  it('are not made where nothing is sealed, the box is broken, or it holds another token', async () => {
    const made = await newStatusToken(SECRET)
    const link = (sealed: string | null) =>
      statusPageLink(
        SECRET,
        'https://x.example',
        { statusTokenHash: made.hash, statusTokenSealed: sealed },
        'de',
      )
    expect(await link(null)).toBeNull()
    expect(await link('not-a-box')).toBeNull()
    expect(await link(await seal(SECRET, (await newStatusToken(SECRET)).token))).toBeNull()
    // Without a secret nothing is sealed.
    expect((await newStatusToken(undefined)).sealed).toBeNull()
  })
})
