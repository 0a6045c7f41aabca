import { describe, expect, it } from 'vitest'
import { keyedHash, signToken, verifyToken } from '../../src/lib/signing'
import { sha256Hex } from '../../src/lib/crypto'
import { statusPageLink, statusTokenFor } from '../../src/lib/status-links'

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
  const request = async (token: string) => ({
    id: 'jr_01',
    statusTokenHash: await sha256Hex(token),
  })

  it('are made again from the sign-up’s id, for the sign-up whose stored hash they match', async () => {
    const token = await statusTokenFor(SECRET, 'jr_01')
    // The shape of a random 32-byte token, which the status page's route takes.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await statusTokenFor(SECRET, 'jr_02')).not.toBe(token)
    expect(
      await statusPageLink(SECRET, 'https://join.example.com', await request(token), 'en'),
    ).toBe(`https://join.example.com/s/${token}?lang=en`)
  })

  it('are not made where the stored hash is of another token: a random one, or another secret’s', async () => {
    const random = await request('a-random-token-made-before-tokens-were-derived-000')
    expect(await statusPageLink(SECRET, 'https://x.example', random, 'de')).toBeNull()
    const other = await request(await statusTokenFor(`${SECRET}x`, 'jr_01'))
    expect(await statusPageLink(SECRET, 'https://x.example', other, 'de')).toBeNull()
  })
})
