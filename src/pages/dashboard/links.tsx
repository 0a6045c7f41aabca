import { Hono, type Context } from 'hono'
import { changedLinkSettings } from '../../services/audit'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { telegramConfig, telegramLinkForPeople } from '../../lib/config'
import type { FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { answerOf, auditDetail, changedNothing } from '../../middleware/audit-trail'
import { assertCan, can, inviteScope, type Action } from '../../services/access'
import type { Invite } from '../../db/schema'
import { communityOf, communityQuery, getCommunityOrThrow } from '../../services/communities'
import { listGroupsQuery } from '../../services/groups'
import {
  createInvite,
  getInviteOrThrow,
  listInvitesQuery,
  revokeInvite,
  rotateInvite,
  duplicateInvite,
  setInviteArchived,
  updateInvite,
} from '../../services/invites'
import { endedByOwnTerms, inviteStatus } from '../../services/invite-status'
import {
  heldUsesQuery,
  knownTagsOfCommunityQuery,
  linkSettingsOf,
  linkSettingsQueries,
} from '../../services/link-settings'
import { leaderboardQuery } from '../../services/members'
import { rewardsQuery } from '../../services/rewards'
import { toPage } from '../../lib/pagination'
import { inviteUrls } from '../../schemas/invites'
import { communityFor } from '../../api/community-scope'
import { retireTelegramLinksOf, telegramLinkForNewInvite } from '../../api/telegram'
import { words } from '../../views/dashboard/shell'
import { loadStatsView, statsViewReads } from './stats-view'
import type { StatsView } from '../../views/dashboard/stats'
import { statsCsv } from '../../services/stats-csv'
import { LINK_SORTS } from '../../views/dashboard/links-table'
import { carriesLogo, readQrDesignForm } from './qr-designer'
import {
  CommunityOverview,
  knownTags,
  LinkPage,
  linkTarget,
  type RefusedLinkForms,
} from '../../views/dashboard/links'
import { onWhatsApp } from '../../views/whatsapp-inferred'
import { telegramLinksOfPageQuery } from '../../services/telegram-chats'
import { leadsNow } from '../../services/stats-verified'
import { telegramLinkOfInviteQuery } from '../../platforms/telegram/invite-links'
import { qrPreviewWithLogo, saveQrDesign, type QrDesignInput } from '../../services/qr-designs'
import { base64 } from '../../lib/crypto'
import { QR_PREVIEW_SIZE } from '../../views/dashboard/qr-designer'
import {
  chosenFallbackQuery,
  fallbackChoicesOf,
  fallbackChoicesQuery,
  fallbackWayQuery,
  firstWorkingOf,
} from '../../services/link-fallbacks'
import { linkFormRefusal, parseLinkForm, type LinkFormState } from './link-forms'
import { LINK_FIELDS } from '../../views/dashboard/link-forms'
import {
  CommunityId,
  InviteId,
  lang,
  idOrThrow,
  communityShell,
  shell,
  inLanguage,
  withNotice,
} from './page'
import { csvDownloadHeaders } from '../../lib/csv'

/** How the links table is sorted: by visits unless the page asks for another of its figures. */
const LinkSort = z.enum(LINK_SORTS).catch('visits')

/** A community's overview and its campaign links: funnel, QR codes, revoke and rotate. */
export const linksPages = new Hono<AppEnv>()

linksPages.get('/admin/communities/:id', async (c) =>
  overviewPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/**
 * A community's overview. After a refused new-link form, the same page again with that form
 * filled in as it was sent and each message next to its field, so nothing typed is lost.
 */
async function overviewPage(c: Context<AppEnv>, id: string, form?: LinkFormState) {
  const scope = { communityId: id }
  assertCan(c.var.principal, 'community.read', scope)
  // Each section is shown only when the API would answer this admin the same; the referral
  // sections (for community admins only) are not even read for anyone else.
  const allowed = (action: Action) => can(c.var.principal, action, scope)
  const referrals = allowed('referrals.read')
  const archived = c.req.query('archived') === '1'
  const statsReads = statsViewReads(c, scope, `/admin/communities/${id}/stats.csv`)
  // Access decided from the id alone; then the page's reads in one round trip.
  const db = c.var.db
  const telegram = telegramConfig(c.var.config) !== null
  const [communityRows, groupRows, inviteRows, boardRows, rewardRows, telegramRows, ...statsRows] =
    await db.batch([
      communityQuery(db, id),
      listGroupsQuery(db, id, { limit: 100 }),
      listInvitesQuery(db, id, { limit: 100, archived }),
      leaderboardQuery(db, id, referrals ? 10 : 0),
      rewardsQuery(db, id, { rows: referrals ? 20 : 0 }),
      // The links' Telegram invite links, read only where Telegram is configured.
      telegramLinksOfPageQuery(db, id, { limit: telegram ? 100 : 0, archived }),
      ...statsReads.queries,
    ])
  const community = communityOf(communityRows)
  const groups = allowed('groups.read') ? toPage(groupRows, 100) : null
  const invites = allowed('invites.read') ? toPage(inviteRows, 100) : null
  // Where a group is in a Telegram chat, its links' joins are Telegram's (`countedStats`); with
  // groups on both, both count, each for its links.
  const onTelegram = groupRows.some((group) => group.telegramChatId !== null)
  const elsewhere = groupRows.some((group) => group.telegramChatId === null)
  const stats = allowed('stats.read')
    ? statsReads.view(statsRows, leadsNow(onTelegram, elsewhere))
    : null
  const board = referrals ? boardRows : null
  const rewards = referrals ? rewardRows : null
  // Members' referral links are not listed; what they brought is said under the table, told
  // apart by the stats' own per-link read (`referralLinks`), so no read more.
  const campaignLinks = (invites?.data ?? []).filter((invite) => !invite.referrerMemberId)
  // A Telegram column only in a community with a group on Telegram (up to 50, all read here).
  const telegramColumn = telegram && onTelegram
  return communityShell(
    c,
    community,
    '',
    community.name,
    <CommunityOverview
      lang={lang(c)}
      path={`/admin/communities/${id}`}
      href={(path) => inLanguage(c, path)}
      csrf={await csrfTokenFor(c)}
      communityId={id}
      newLink={allowed('invites.manage') ? { groups: groups?.data ?? [], form } : null}
      telegramPage={
        !telegram
          ? undefined
          : allowed('telegram.manage')
            ? inLanguage(c, '/admin/telegram')
            : 'owners'
      }
      stats={stats}
      links={
        invites && {
          archived,
          campaign: campaignLinks,
          sort: LinkSort.parse(c.req.query('sort')),
          now: new Date(),
          baseUrl: c.var.config.PUBLIC_BASE_URL,
          telegram: telegramColumn
            ? new Map(
                telegramRows.map((row) => [
                  row.inviteId,
                  {
                    url: row.url,
                    opens: row.url && telegramLinkForPeople(c.var.config, row.url),
                    failed: row.failedAt !== null,
                  },
                ]),
              )
            : undefined,
        }
      }
      groups={groups?.data ?? null}
      whatsapp={onWhatsApp(groupRows)}
      referrals={board && rewards ? { board, rewards } : null}
    />,
    form?.status,
  )
}

linksPages.post('/admin/communities/:id/links', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const community = await communityFor(c, id, 'invites.manage')
  const sent = parseLinkForm(lang(c), await readForm(c), LINK_FIELDS, {
    timeZone: community.timeZone,
    now: new Date(),
  })
  const refused = (errors: FieldMessages, status: 400 | 409) =>
    overviewPage(c, id, { values: sent.values, errors, status })
  if (!sent.input) return refused(sent.errors ?? {}, 400)
  try {
    const now = new Date()
    const invite = await createInvite(c.var.db, id, sent.input, now)
    // On a Telegram group, the chat's own link is asked for right after the answer, as in the API.
    await telegramLinkForNewInvite(c, invite, now)
    return c.redirect(inLanguage(c, withNotice(`/admin/links/${invite.id}`, 'created')), 303)
  } catch (error) {
    const errors = linkFormRefusal(lang(c), error)
    if (errors) return refused(errors.fields, errors.status)
    throw error
  }
})

linksPages.get('/admin/links/:id', async (c) => linkPage(c, idOrThrow(InviteId, c.req.param('id'))))

/**
 * A link's page: its URL and QR codes, what can be done with it, and its figures. After a
 * refused form, the same page with that form as it was sent and its messages.
 */
export async function linkPage(
  c: Context<AppEnv>,
  id: string,
  refused?: RefusedLinkForms,
  /** What this admin must be allowed to do with the link to see the page. */
  access: 'invites.read' | 'invites.manage' = 'invites.read',
) {
  const statsReads = statsViewReads(c, { inviteId: id }, `/admin/links/${id}/stats.csv`)
  // The page's reads in one round trip, its community's by the link's id; access is decided from
  // what it read, before anything is shown.
  const db = c.var.db
  const telegram = telegramConfig(c.var.config) !== null
  const [
    inviteRows,
    communityRows,
    groupRows,
    designRows,
    telegramRows,
    tagRows,
    [held],
    fallbackRows,
    chosenFallbackRows,
    wayOn,
    ...statsRows
  ] = await db.batch([
    ...linkSettingsQueries(db, id),
    // Its Telegram link, read only where Telegram is configured.
    telegramLinkOfInviteQuery(db, id, telegram),
    knownTagsOfCommunityQuery(db, { inviteId: id }),
    heldUsesQuery(db, id, new Date()),
    fallbackChoicesQuery(db, id),
    chosenFallbackQuery(db, id),
    fallbackWayQuery(db, id),
    ...statsReads.queries,
  ])
  const { invite, community, groups, design } = linkSettingsOf([
    inviteRows,
    communityRows,
    groupRows,
    designRows,
  ])
  const scope = inviteScope(invite)
  assertCan(c.var.principal, access, scope, 'Invite')
  const onTelegram = linkTarget(invite, groups).some((group) => group.telegramChatId !== null)
  const stats = can(c.var.principal, 'stats.read', scope)
    ? statsReads.view(statsRows, leadsNow(onTelegram, false))
    : null
  return shell(
    c,
    invite.label ?? invite.code,
    <LinkPage
      lang={lang(c)}
      path={`/admin/links/${id}`}
      href={(path) => inLanguage(c, path)}
      csrf={await csrfTokenFor(c)}
      invite={invite}
      community={community}
      groups={groups}
      design={design}
      url={inviteUrls(c.var.config.PUBLIC_BASE_URL, invite.code).url}
      status={inviteStatus(invite, new Date())}
      heldUses={{
        waiting: held?.waiting ?? 0,
        firstBack: held?.firstBack ? new Date(held.firstBack) : null,
      }}
      telegramLink={telegram ? (telegramRows[0] ?? null) : null}
      telegramLinkOpens={
        telegram && telegramRows[0]?.url
          ? telegramLinkForPeople(c.var.config, telegramRows[0].url)
          : null
      }
      known={knownTags(tagRows)}
      fallbacks={fallbackChoicesOf(fallbackRows, chosenFallbackRows, new Date())}
      leadsTo={endedByOwnTerms(invite, new Date()) && firstWorkingOf(invite, wayOn, new Date())}
      manage={can(c.var.principal, 'invites.manage', scope)}
      refused={refused}
      stats={stats}
    />,
    refused?.status,
    `/admin/links/${id}`,
  )
}

/** Reads a link form posted on a link's page, for the link and the community it belongs to. */
async function linkForm(c: Context<AppEnv>, fields: readonly (typeof LINK_FIELDS)[number][]) {
  const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
  // Named as the link, as one that does not exist is: another community's is no different.
  assertCan(c.var.principal, 'invites.manage', inviteScope(invite), 'Invite')
  const community = await getCommunityOrThrow(c.var.db, invite.communityId)
  const now = new Date()
  const sent = parseLinkForm(lang(c), await readForm(c), fields, {
    timeZone: community.timeZone,
    now,
    current: fields.includes('maxUses') ? invite : undefined,
  })
  return { invite, sent, now }
}

linksPages.post('/admin/links/:id/edit', async (c) => {
  const { invite, sent, now } = await linkForm(c, LINK_FIELDS)
  const refused = (errors: FieldMessages, status: 400 | 409) =>
    linkPage(c, invite.id, { edit: { values: sent.values, errors }, status })
  if (!sent.input) return refused(sent.errors ?? {}, 400)
  try {
    const changed = changedLinkSettings(
      invite,
      await updateInvite(c.var.db, invite, sent.input, now),
    )
    // Saved as it was: nothing for the audit log, as for any action on what was so already.
    if (changed.length > 0) auditDetail(c, changed.join(', '))
    else changedNothing(c)
  } catch (error) {
    const errors = linkFormRefusal(lang(c), error)
    if (errors) return refused(errors.fields, errors.status)
    throw error
  }
  return c.redirect(inLanguage(c, withNotice(`/admin/links/${invite.id}`, 'saved')), 303)
})

linksPages.post('/admin/links/:id/duplicate', async (c) => {
  const { invite, sent, now } = await linkForm(c, ['source', 'label', 'code'])
  const refused = (errors: FieldMessages, status: 400 | 409) =>
    linkPage(c, invite.id, { copy: { values: sent.values, errors }, status })
  const source = sent.input?.source
  if (!sent.input || !source) {
    const t = words(lang(c))
    return refused({ ...sent.errors, ...(source ? {} : { source: t.checkField }) }, 400)
  }
  try {
    const copy = await duplicateInvite(c.var.db, invite, { ...sent.input, source }, now)
    await telegramLinkForNewInvite(c, copy, now)
    return c.redirect(inLanguage(c, withNotice(`/admin/links/${copy.id}`, 'created')), 303)
  } catch (error) {
    const errors = linkFormRefusal(lang(c), error)
    if (errors) return refused(errors.fields, errors.status)
    throw error
  }
})

linksPages.post('/admin/links/:id/qr-design', async (c) => {
  const id = idOrThrow(InviteId, c.req.param('id'))
  const form = await readForm(c, { files: true })
  // A logo is decoded (and drawn, for a preview) only for an admin of the link: where one is
  // sent, access is decided first. Without one, a design refused or sent for a preview is the
  // link's page again, which reads the link and decides access in its own round trip.
  const invite = carriesLogo(form) ? await manageableInvite(c, id) : undefined
  const sent = await readQrDesignForm(lang(c), form)
  if (!sent.input) {
    const qr = { values: sent.values, errors: sent.errors ?? {} }
    return linkPage(c, id, { qr, status: 400 }, 'invites.manage')
  }
  if (form.intent === 'preview') {
    changedNothing(c)
    const qr = {
      values: sent.values,
      errors: {},
      preview: true,
      ...(invite && (await chosenLogo(c, invite, sent.input))),
    }
    return linkPage(c, id, { qr, status: 200 }, 'invites.manage')
  }
  const target = invite ?? (await manageableInvite(c, id))
  await saveQrDesign(c.var.db, target, sent.input, new Date())
  return c.redirect(inLanguage(c, withNotice(`/admin/links/${target.id}`, 'saved')), 303)
})

/** The link of the path, once this admin may manage it (else 404 or 403, as the API answers). */
async function manageableInvite(c: Context<AppEnv>, id: string): Promise<Invite> {
  const invite = await getInviteOrThrow(c.var.db, id)
  assertCan(c.var.principal, 'invites.manage', inviteScope(invite), 'Invite')
  return invite
}

/**
 * A logo chosen for a preview, not saved yet: the preview drawn with it, and the logo for the
 * page to carry to the save (a file field is empty when the page comes back).
 */
async function chosenLogo(
  c: Context<AppEnv>,
  invite: Invite,
  input: QrDesignInput,
): Promise<{ previewSrc: string; keptLogo: string } | undefined> {
  if (!(input.logo instanceof Uint8Array)) return undefined
  const landing = inviteUrls(c.var.config.PUBLIC_BASE_URL, invite.code).url
  return {
    previewSrc: await qrPreviewWithLogo(landing, input, input.logo, QR_PREVIEW_SIZE),
    keptLogo: base64(input.logo),
  }
}

for (const action of ['archive', 'restore'] as const) {
  linksPages.post(`/admin/links/:id/${action}`, async (c) => {
    const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
    assertCan(c.var.principal, 'invites.manage', inviteScope(invite), 'Invite')
    answerOf(c, invite, await setInviteArchived(c.var.db, invite, action === 'archive', new Date()))
    const done = action === 'archive' ? 'archived' : 'restored'
    return c.redirect(inLanguage(c, withNotice(`/admin/links/${invite.id}`, done)), 303)
  })
}

for (const action of ['revoke', 'rotate'] as const) {
  linksPages.post(`/admin/links/:id/${action}`, async (c) => {
    const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
    assertCan(c.var.principal, 'invites.manage', inviteScope(invite), 'Invite')
    const now = new Date()
    const changed = answerOf(
      c,
      invite,
      await (action === 'revoke' ? revokeInvite : rotateInvite)(c.var.db, invite, now),
    )
    await retireTelegramLinksOf(c, invite, now)
    if (action === 'rotate') await telegramLinkForNewInvite(c, changed, now)
    return c.redirect(
      withNotice(`/admin/links/${invite.id}`, action === 'revoke' ? 'revoked' : 'rotated'),
      303,
    )
  })
}

/** The figures of every day of the chosen period, as a spreadsheet opens them. */
function csvResponse(c: Context<AppEnv>, view: StatsView, name: string) {
  return c.body(
    statsCsv(view.days, view.telegram),
    200,
    csvDownloadHeaders(`${name}-${view.range.from}-${view.range.to}.csv`),
  )
}

linksPages.get('/admin/communities/:id/stats.csv', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  assertCan(c.var.principal, 'stats.read', { communityId: id })
  const community = await getCommunityOrThrow(c.var.db, id)
  const view = await loadStatsView(c, { communityId: id }, '')
  return csvResponse(c, view, community.slug)
})

linksPages.get('/admin/links/:id/stats.csv', async (c) => {
  const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
  assertCan(c.var.principal, 'stats.read', inviteScope(invite), 'Invite')
  const view = await loadStatsView(c, { inviteId: invite.id }, '')
  return csvResponse(c, view, invite.code)
})
