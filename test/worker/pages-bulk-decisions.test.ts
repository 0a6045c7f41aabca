import { describe, expect, it } from 'vitest'
import { DASHBOARD_WORDS } from '../../src/lib/i18n'
import { call, createCommunity, createInvite, joinJson, newPhone } from './helpers'
import { csrfOf, page, post, signIn } from './dashboard-helpers'

/**
 * The approvals' bulk bar on a phone: tapping "Approve selected" with no box ticked used to
 * bring back the same page with no word, as if the tap had been lost.
 */

const t = DASHBOARD_WORDS.en

describe('the bulk decision with nothing selected', () => {
  it('says that nothing was selected, decides nothing, on a community’s page and across them', async () => {
    const community = await createCommunity({ visibility: 'closed' })
    const invite = await createInvite(community.id)
    const joined = await joinJson(invite.code, { name: 'Noor', phone: newPhone() })
    expect(joined.status, joined.text).toBe(201)
    const { cookie } = await signIn()
    const approvals = `/admin/communities/${community.id}/approvals`
    const csrf = csrfOf((await page(approvals, cookie)).text)

    for (const [path, action] of [
      [approvals, 'approve'],
      ['/admin/approvals', 'reject'],
    ] as const) {
      const sent = await post(path, cookie, { _csrf: csrf, action, reason: '' })
      expect(sent.status).toBe(303)
      const back = await page(sent.headers.get('location')!, cookie)
      expect(back.text).toContain(t.noneSelectedNotice)
    }
    const pending = await call(
      'GET',
      `/api/communities/${community.id}/join-requests?status=pending`,
    )
    expect(pending.json.data).toHaveLength(1)
  })
})
