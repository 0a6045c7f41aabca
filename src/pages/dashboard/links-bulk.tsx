import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Invite } from '../../db/schema'
import { idPattern } from '../../lib/ids'
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
import { BULK_LINKS_MAX, createInvites, madeInvitesQuery } from '../../services/invites-bulk'
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

/** The ids of the links a bulk form made, as its redirect carries them (`?made=inv_…,inv_…`). */
const MadeIds = z
  .string()
  .transform((value) => value.split(','))
  .pipe(
    z
      .array(z.string().regex(idPattern('inv')))
      .min(1)
      .max(BULK_LINKS_MAX),
  )

linksBulkPages.get('/admin/communities/:id/links/bulk', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const made = MadeIds.safeParse(c.req.query('made'))
  return made.success ? madePage(c, id, made.data) : bulkPage(c, id)
})

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
  // Listed on a page of its own address: reloading it, or going back to it, makes nothing again.
  const ids = made.map((invite) => invite.id).join(',')
  return c.redirect(inLanguage(c, `${PATH(id)}?made=${ids}`), 303)
})

/** What a bulk form made: each link to copy, with its QR codes, and the way back. */
async function madePage(c: Context<AppEnv>, id: string, ids: string[]) {
  assertCan(c.var.principal, 'invites.manage', { communityId: id }, 'Community')
  const db = c.var.db
  const [communityRows, made] = await db.batch([
    communityQuery(db, id),
    madeInvitesQuery(db, id, ids),
  ])
  const community = communityOf(communityRows)
  // Ids of no link of this community (another's, or made up): the form, as without them.
  if (made.length === 0) return bulkPage(c, id)
  const l = lang(c)
  return communityShell(
    c,
    community,
    '/links/bulk',
    LINKS_BULK_WORDS[l].madeTitle(formatNumber(l, made.length)),
    <LinksMade
      lang={l}
      links={made}
      baseUrl={c.var.config.PUBLIC_BASE_URL}
      href={(path) => inLanguage(c, path)}
      back={inLanguage(c, `/admin/communities/${id}#campaign-links`)}
    />,
  )
}
