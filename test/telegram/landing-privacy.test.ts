import { expect, it } from 'vitest'
import { MESSAGES } from '../../src/lib/i18n'
import { createCommunity, createInvite, eventually, visit } from '../worker/helpers'
import { telegramCommunity, withTelegramLink } from './support'

/**
 * The landing page's privacy line is the form's promise ("only admins see your contact
 * details, never other members"). Where Join leads into a Telegram group there is no form, and
 * the members of a Telegram group see one another: the page says what is true there.
 */
it('tells a visitor joining in Telegram what Telegram shows, not the form’s promise', async () => {
  const { community, group } = await telegramCommunity()
  const invite = await createInvite(community.id, { groupId: group.id, label: 'Stage' })
  const url = await withTelegramLink(invite.id)
  await eventually(async () => {
    const landing = await visit(`/i/${invite.code}`, { 'accept-language': 'de' })
    expect(landing.text).toContain(`href="${url}"`)
    expect(landing.text).toContain(MESSAGES.de.telegramPrivacy)
    expect(landing.text).not.toContain(MESSAGES.de.privacy)
  })

  // A community with no Telegram chat keeps its form and the form's promise.
  const plain = await createCommunity()
  const form = await createInvite(plain.id)
  const page = await visit(`/i/${form.code}`, { 'accept-language': 'en' })
  expect(page.text).toContain(MESSAGES.en.privacy)
  expect(page.text).not.toContain(MESSAGES.en.telegramPrivacy)
})
