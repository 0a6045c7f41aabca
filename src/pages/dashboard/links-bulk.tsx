import { Hono, type Context } from 'hono'
import type { Invite } from '../../db/schema'
import type { AppEnv } from '../../env'
import { telegramConfig } from '../../lib/config'
import type { FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { formatNumber, LINKS_BULK_WORDS } from '../../lib/i18n'
import { toPage } from '../../lib/pagination'
import { auditLinksMade } from '../../middleware/audit-trail'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { communityFor } from '../../api/community-scope'
import { assertCan } from '../../services/access'
import { communityOf, communityQuery } from '../../services/communities'
import { listGroupsQuery } from '../../services/groups'
import { createInvites } from '../../services/invites-bulk'
import { knownTagsOfCommunityQuery } from '../../services/link-settings'
import { knownTags } from '../../views/dashboard/links'
import { BulkLinksForm, LinksMade } from '../../views/dashboard/links-bulk'
import { bulkLinkFormRefusal, parseBulkLinkForm, type LinkFormState } from './link-forms'
import { CommunityId, communityShell, idOrThrow, inLanguage, lang } from './page'

/**
 * Several links at once, on a page of its own (reached from the new-link form): a name per line,
 * the other settings shared; the answer lists what was made.
 */
export const linksBulkPages = new Hono<AppEnv>()

const PATH = (id: string) => `/admin/communities/${id}/links/bulk`

linksBulkPages.get('/admin/communities/:id/links/bulk', async (c) =>
  bulkPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/** The form: empty, or sent back refused with what was typed and each message by its field. */
async function bulkPage(c: Context<AppEnv>, id: string, refused?: LinkFormState) {
  assertCan(c.var.principal, 'invites.manage', { communityId: id }, 'Community')
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const [communityRows, groupRows, tagRows] = await db.batch([
    communityQuery(db, id),
    listGroupsQuery(db, id, { limit: 100 }),
    knownTagsOfCommunityQuery(db, { communityId: id }),
  ])
  const community = communityOf(communityRows)
  const l = lang(c)
  return communityShell(
    c,
    community,
    '/links/bulk',
    `${community.name}: ${LINKS_BULK_WORDS[l].heading}`,
    <BulkLinksForm
      lang={l}
      action={inLanguage(c, PATH(id))}
      back={inLanguage(c, `/admin/communities/${id}`)}
      csrf={await csrfTokenFor(c)}
      groups={toPage(groupRows, 100).data}
      form={refused}
      known={knownTags(tagRows)}
    />,
    refused?.status,
  )
}

linksBulkPages.post('/admin/communities/:id/links/bulk', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'invites.manage')
  const now = new Date()
  const sent = parseBulkLinkForm(lang(c), await readForm(c), { timeZone: community.timeZone, now })
  const refused = (errors: FieldMessages, status: 400 | 409) =>
    bulkPage(c, id, { values: sent.values, errors, status })
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
    '/links/bulk',
    LINKS_BULK_WORDS[lang(c)].madeTitle(formatNumber(lang(c), made.length)),
    <LinksMade
      lang={lang(c)}
      links={made}
      baseUrl={c.var.config.PUBLIC_BASE_URL}
      back={inLanguage(c, `/admin/communities/${id}#campaign-links`)}
    />,
  )
})
