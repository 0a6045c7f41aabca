import { Hono } from 'hono'
import type { Invite } from '../../db/schema'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import type { FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { formatNumber, LINKS_BULK_WORDS } from '../../lib/i18n'
import { auditLinksMade } from '../../middleware/audit-trail'
import { communityFor } from '../../api/community-scope'
import { createInvites } from '../../services/invites-bulk'
import { LinksMade } from '../../views/dashboard/links-bulk'
import { bulkLinkFormRefusal, parseBulkLinkForm } from './link-forms'
import { overviewPage } from './links'
import { CommunityId, communityShell, idOrThrow, inLanguage, lang } from './page'

/** Several links made at once from a community's overview, and the page listing them. */
export const linksBulkPages = new Hono<AppEnv>()

/** Several links at once: a name per line, the rest shared; the answer lists what was made. */
linksBulkPages.post('/admin/communities/:id/links/bulk', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'invites.manage')
  const now = new Date()
  const sent = parseBulkLinkForm(lang(c), await readForm(c), { timeZone: community.timeZone, now })
  const refused = (errors: FieldMessages, status: 400 | 409) =>
    overviewPage(c, id, undefined, { values: sent.values, errors, status })
  if (!sent.inputs) return refused(sent.errors ?? {}, 400)
  let made: Invite[]
  try {
    made = await createInvites(c.var.db, id, sent.inputs, now, {
      planTelegram: telegramConfig(c.var.config) !== null,
    })
  } catch (error) {
    const errors = bulkLinkFormRefusal(lang(c), error)
    if (errors) return refused(errors.fields, errors.status)
    throw error
  }
  auditLinksMade(c, id, made, now)
  return communityShell(
    c,
    community,
    '',
    LINKS_BULK_WORDS[lang(c)].madeTitle(formatNumber(lang(c), made.length)),
    <LinksMade
      lang={lang(c)}
      links={made}
      baseUrl={c.var.config.PUBLIC_BASE_URL}
      back={inLanguage(c, `/admin/communities/${id}#campaign-links`)}
    />,
  )
})
