import { describe, expect, it } from 'vitest'
import { keyedHash, signToken, verifyToken } from '../../src/lib/signing'

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
