import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import type { Announcement } from '../../db/schema'
import { ApiError, notFound } from '../../lib/errors'
import { ANNOUNCEMENT_EDIT_WORDS } from '../../lib/i18n'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { toPage } from '../../lib/pagination'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { answerOf, changedNothing } from '../../middleware/audit-trail'
import { assertCan } from '../../services/access'
import {
  announcementQuery,
  communityOfAnnouncement,
  getAnnouncementOrThrow,
} from '../../services/announcements'
import { unfinishedRunOf, updateAnnouncement } from '../../services/announcement-changes'
import { communityOf, communityQuery } from '../../services/communities'
import { listGroupsQuery } from '../../services/groups'
import type { ComposeState } from '../../views/dashboard/announcement-form'
import { AnnouncementEditPage } from '../../views/dashboard/announcement-edit'
import { sentText } from '../../views/form-fields'
import { formText, idOrThrow, inLanguage, lang, shell, withNotice } from './page'
import {
  composedAnnouncement,
  composeStateOf,
  keptAudience,
  sentCompose,
  serviceRefusal,
  withPreview,
} from './announcement-form'

/**
 * Changing a scheduled announcement: the compose form, filled with it. What it changes is what
 * the API's PATCH changes (`updateAnnouncement`), refused the same way: once it is sending, sent
 * or cancelled, while a run of it sends, and when someone changed it since the form was opened.
 */
export const announcementEditPages = new Hono<AppEnv>()

const AnnouncementId = z.string().regex(idPattern('ann'))
const GROUPS_OFFERED = 100

/** Why the form comes back instead of saving, said above it. */
type Held = 'notChangeable' | 'runSending' | 'changedMeanwhile'

/**
 * The announcement, its community and the groups it may go to, in one round trip; access is
 * decided from what was read, before anything is shown or changed.
 */
async function editable(c: Context<AppEnv>) {
  const id = idOrThrow(AnnouncementId, c.req.param('id'))
  const db = c.var.db
  const communityId = communityOfAnnouncement(id)
  const [announcementRows, communityRows, groupRows, runRows] = await db.batch([
    announcementQuery(db, id),
    communityQuery(db, communityId),
    listGroupsQuery(db, communityId, { limit: GROUPS_OFFERED }),
    unfinishedRunOf(db, id).limit(1),
  ])
  const announcement = announcementRows[0]
  if (!announcement) throw notFound('Announcement')
  assertCan(
    c.var.principal,
    'announcements.manage',
    { communityId: announcement.communityId },
    'Announcement',
  )
  return {
    announcement,
    community: communityOf(communityRows),
    groups: toPage(groupRows, GROUPS_OFFERED).data,
    sending: runRows.length > 0,
  }
}

type Editable = Awaited<ReturnType<typeof editable>>

/** The page: the form as stored, or as sent back, with why it was not saved above it. */
async function editPage(
  c: Context<AppEnv>,
  { announcement, community, groups }: Editable,
  options: { sent?: ComposeState; held?: Held; typed?: boolean; status?: 200 | 400 | 409 } = {},
) {
  const path = `/admin/announcements/${announcement.id}/edit`
  const e = ANNOUNCEMENT_EDIT_WORDS[lang(c)]
  const held = options.held && [e[options.held], options.typed ? e.typedBelow : ''].join(' ')
  const stored = composeStateOf(announcement, community.timeZone, groups)
  const keptGroups = keptAudience(announcement.audienceGroupIds, groups)
  let sent = options.sent ?? stored
  // "As it is" sent back after someone else changed the audience to one the form offers: shown
  // as that audience, never as the list's first choice (everyone) that a browser would send.
  if (!keptGroups && sentText(sent.form, 'audience') === 'keep') {
    const values = { ...sent.form.values, audience: stored.form.values.audience }
    sent = { ...sent, form: { ...sent.form, values } }
  }
  return shell(
    c,
    `${e.title}: ${community.name}`,
    <AnnouncementEditPage
      lang={lang(c)}
      community={community}
      listHref={inLanguage(c, `/admin/communities/${community.id}/announcements`)}
      held={held?.trim()}
      form={{
        action: inLanguage(c, path),
        csrf: await csrfTokenFor(c),
        groups,
        sent,
        basis: { hidden: { version: versionOf(announcement) }, keptGroups },
      }}
    />,
    options.status,
    path,
  )
}

/** The version a form carries: when the announcement was last changed, as read. */
function versionOf(announcement: Announcement): string {
  return String(announcement.updatedAt.getTime())
}

/**
 * Why an announcement cannot change now, if it cannot: one that is sending, sent or cancelled no
 * longer can; a repeating one can again once its run has started and finished.
 */
function heldBy({ announcement, sending }: Editable): Held | undefined {
  if (announcement.status === 'dispatching' && announcement.repeatCron) return 'runSending'
  if (announcement.status !== 'scheduled') return 'notChangeable'
  return sending ? 'runSending' : undefined
}

announcementEditPages.get('/admin/announcements/:id/edit', async (c) => {
  const read = await editable(c)
  const held = heldBy(read)
  if (held === 'notChangeable') {
    // Sent or cancelled since the list was read: back to the list, which shows it as it is now
    // and says which.
    const list = `/admin/communities/${read.community.id}/announcements`
    const why =
      read.announcement.status === 'cancelled' ? 'announcementCancelled' : 'announcementSent'
    return c.redirect(inLanguage(c, withNotice(list, why)), 303)
  }
  return editPage(c, read, { held })
})

announcementEditPages.post('/admin/announcements/:id/edit', async (c) => {
  const read = await editable(c)
  const { announcement, community } = read
  const form = await readForm(c)
  const sent = sentCompose(form)
  const now = new Date()
  const back = (options: { held?: Held; status: 400 | 409; shown?: ComposeState }) =>
    editPage(c, read, { sent: options.shown ?? sent, typed: true, ...options })
  if (formText(form, 'intent') === 'preview') {
    changedNothing(c)
    const shown = withPreview(lang(c), sent, community.timeZone, now, announcement)
    const refused = Object.keys(shown.form.errors).length > 0
    return editPage(c, read, { sent: shown, status: refused ? 400 : 200 })
  }
  const held = heldBy(read)
  if (held) return back({ held, status: 409 })
  // Opened before someone else's change: shown again, and saved as it is the next time.
  if (formText(form, 'version') !== versionOf(announcement)) {
    return back({ held: 'changedMeanwhile', status: 409 })
  }
  const composed = composedAnnouncement(lang(c), sent, community.timeZone, now, announcement)
  const refused = (errors: Record<string, string>) =>
    back({ status: 400, shown: { ...sent, form: { ...sent.form, errors } } })
  if ('errors' in composed) return refused(composed.errors)
  let updated: Announcement
  try {
    updated = await updateAnnouncement(c.var.db, announcement, composed.input, now)
  } catch (error) {
    const errors = serviceRefusal(lang(c), error)
    if (errors) return refused(errors)
    if (!(error instanceof ApiError)) throw error
    if (error.code === 'conflict') {
      // Changed between the read and the write: the form carries the version now stored.
      const current = await getAnnouncementOrThrow(c.var.db, announcement.id)
      return editPage(
        c,
        { ...read, announcement: current },
        { sent, held: 'changedMeanwhile', typed: true, status: 409 },
      )
    }
    if (error.code === 'invalid_state') {
      const started = error.extensions?.runId || announcement.repeatCron
      return back({ held: started ? 'runSending' : 'notChangeable', status: 409 })
    }
    throw error
  }
  // Saved as it was: nothing written, nothing for the audit log (`answerOf`), and the notice
  // says so rather than that it changed.
  answerOf(c, announcement, updated)
  const done = updated === announcement ? 'announcementUnchanged' : 'announcementChanged'
  const list = `/admin/communities/${community.id}/announcements?scheduled=${announcement.id}`
  return c.redirect(inLanguage(c, withNotice(list, done)), 303)
})
