import { describe, expect, it } from 'vitest'
import { createCommunity, createInvite, joinAsMember, newPhone } from '../worker/helpers'
import { announceAndWait, sentTo } from './meta'

describe('an announcement on WhatsApp in more than one language', () => {
  it('goes to each number in the language its owner signed up in, the body otherwise', async () => {
    const community = await createCommunity()
    const invite = await createInvite(community.id)
    const english = newPhone()
    const german = newPhone()
    for (const [name, phone, language] of [
      ['Eve', english, 'en'],
      ['Gert', german, 'de'],
    ] as const) {
      const joined = await joinAsMember(
        invite.code,
        { name, phone },
        { 'accept-language': language },
      )
      expect(joined.status, joined.text).toBe(201)
    }
    const deliveries = await announceAndWait(community.id, 'Sommerfest am Samstag', {
      translations: { en: 'Summer party on Saturday' },
    })
    expect(deliveries.data.map((d: { status: string }) => d.status)).toEqual(['sent', 'sent'])
    const texts = async (phone: string) =>
      (await sentTo(phone)).flatMap((m) => (m.text ? [m.text.body] : []))
    expect(await texts(english)).toContain('Summer party on Saturday')
    expect(await texts(english)).not.toContain('Sommerfest am Samstag')
    expect(await texts(german)).toContain('Sommerfest am Samstag')
    expect(await texts(german)).not.toContain('Summer party on Saturday')
  })
})
