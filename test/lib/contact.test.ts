import { describe, expect, it } from 'vitest'
import { normalisePhone, numberOfWhatsAppId } from '../../src/lib/contact'

describe('phone numbers are checked against their country’s numbering plan', () => {
  it('accepts real numbers in the spellings people use', () => {
    const valid: Array<[string, string]> = [
      ['+49 151 23456789', '+4915123456789'],
      ['0151 23456789', '+4915123456789'],
      ['0151/234 567 89', '+4915123456789'],
      ['(0151) 2345-6789', '+4915123456789'],
      ['0049 151 23456789', '+4915123456789'],
      ['+49 176 12345678', '+4917612345678'],
      ['030 12345678', '+493012345678'], // a Berlin landline: WhatsApp runs on some
      ['+43 664 1234567', '+436641234567'],
      ['+33 6 12 34 56 78', '+33612345678'],
      ['+44 7911 123456', '+447911123456'],
      ['+1 415 555 2671', '+14155552671'],
      ['+90 532 123 45 67', '+905321234567'],
      // Full-width, as East Asian keyboards type it, and other plus signs: never read as a
      // German number with the country code in it (+49 49…).
      ['＋４９ １５１ ２３４５６７８９', '+4915123456789'],
      ['﹢49 151 23456789', '+4915123456789'],
      ['⁺49 151 23456789', '+4915123456789'],
      ['➕49 151 23456789', '+4915123456789'],
    ]
    for (const [input, e164] of valid) expect(normalisePhone(input), input).toBe(e164)
  })

  it('refuses numbers no country hands out: too short, unallocated, too long', () => {
    for (const input of [
      '12345',
      '+49 123',
      '+49 151 1234',
      '+4915112345678999',
      '+49 151 123456789012',
      '+1 555 0100',
      'call me',
    ])
      expect(normalisePhone(input), input).toBeNull()
  })
})

describe('a WhatsApp id is read as the number the forms store', () => {
  it('reads the older forms Mexico and Brazil left behind as their numbers now, and any other id as it is', () => {
    const cases: Array<[string, string]> = [
      // Mexico dropped the 1 after 52 in 2019; accounts made before keep it in their id.
      ['5215512345678', '+525512345678'],
      ['525512345678', '+525512345678'],
      // Brazil put a 9 before every mobile number by 2016; older accounts' ids lack it.
      ['551187654321', '+5511987654321'],
      ['5521998765432', '+5521998765432'],
      // A Brazilian landline (beginning 2 to 5) had no 9 to gain.
      ['551123456789', '+551123456789'],
      ['4915123456789', '+4915123456789'],
      ['5491123456789', '+5491123456789'],
    ]
    for (const [waId, stored] of cases) {
      expect(numberOfWhatsAppId(waId), waId).toBe(stored)
      expect(normalisePhone(stored), waId).toBe(stored)
    }
  })
})
