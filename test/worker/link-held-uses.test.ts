import { describe, expect, it } from 'vitest'
import { createCommunity, createInvite, endProofTime, joinJson, newPhone, runCron } from './helpers'
import { page, signIn } from './dashboard-helpers'

describe('a link’s uses on its page', () => {
  it('says which are held by sign-ups nobody confirmed yet, and that they come back', async () => {
    const community = await createCommunity({ consent: 'double' })
    const invite = await createInvite(community.id, { label: 'Flyer Kiezfest', maxUses: 2 })
    const { cookie } = await signIn()
    const linkPage = () => page(`/admin/links/${invite.id}`, cookie)
    const fresh = (await linkPage()).text
    expect(fresh).toContain('Used: 0 of 2')
    // Its figures come before the forms that change it, and the top leads down to them.
    expect(fresh).toMatch(
      /<nav class="periods" aria-label="On this page">(<a [^>]*>[^<]*<\/a>)*<a href="#figures">Funnel<\/a>/,
    )
    expect(fresh.indexOf('<section id="figures">')).toBeGreaterThan(0)
    expect(fresh.indexOf('<section id="figures">')).toBeLessThan(
      fresh.indexOf('<section id="edit">'),
    )

    // Two numbers typed in, neither confirmed: the link is used up, for now.
    const ids: string[] = []
    for (const name of ['Typed One', 'Typed Two']) {
      const joined = await joinJson(invite.code, { name, phone: newPhone() })
      expect(joined.status, joined.text).toBe(201)
      ids.push(joined.json.joinRequestId)
    }
    const usedUp = (await linkPage()).text
    expect(usedUp).toContain('Status: <b>used up</b>')
    expect(usedUp).toContain('Used: 2 of 2')
    expect(usedUp).toMatch(
      /2 of them are sign-ups still waiting for their confirmation\. If nobody confirms one, its use comes back, the first on \d/,
    )

    // Nobody confirmed in time: the cron job gives the uses back, and the page says so.
    await endProofTime(...ids)
    await runCron(Date.now())
    const open = (await linkPage()).text
    expect(open).toContain('Status: <b>active</b>')
    expect(open).toContain('Used: 0 of 2')
    expect(open).not.toContain('waiting for their confirmation')
  })
})
