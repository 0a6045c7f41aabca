import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { CODE_MAX_LENGTH, CODE_MIN_LENGTH, CODE_PATTERN, customCodeProblem } from '../../lib/codes'
import { ApiError } from '../../lib/errors'
import { fieldMessages, type FieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { idPattern } from '../../lib/ids'
import { csrfTokenFor } from '../../middleware/dashboard-session'
import { assertCan, can, type Action } from '../../services/access'
import { getCommunityOrThrow } from '../../services/communities'
import { listGroups } from '../../services/groups'
import {
  createInvite,
  getInviteOrThrow,
  inviteStatus,
  listInvites,
  revokeInvite,
  rotateInvite,
} from '../../services/invites'
import { leaderboard } from '../../services/members'
import { listRewards } from '../../services/rewards'
import { CustomCodeSchema, InviteLabelSchema, inviteUrls, TagSchema } from '../../schemas/invites'
import { communityFor } from '../../api/community-scope'
import { Csrf, words, DiscussionGroupOptions, GroupsTable } from '../../views/dashboard'
import { FieldError, fieldAttributes, sentText, type FormState } from '../../views/form-fields'
import { loadStatsView, StatsSections, type StatsView } from './stats-view'
import { statsCsv } from '../../services/stats'
import { LinksTable } from './links-table'
import {
  CommunityId,
  InviteId,
  lang,
  idOrThrow,
  formText,
  communityShell,
  shell,
  inLanguage,
  withNotice,
} from './page'
import { csvDownloadHeaders } from '../../lib/csv'

/** A community's overview and its campaign links: funnel, QR codes, revoke and rotate. */
export const linksPages = new Hono<AppEnv>()

linksPages.get('/admin/communities/:id', async (c) =>
  overviewPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

/** The new-link form as it was sent, with a message for each field that was refused. */
interface NewLinkFormState extends FormState {
  status: 400 | 409
}

/**
 * A community's overview. After a refused new-link form, the same page again with that form
 * filled in as it was sent and each message next to its field, so nothing typed is lost.
 */
async function overviewPage(c: Context<AppEnv>, id: string, form?: NewLinkFormState) {
  const t = words(lang(c))
  const scope = { communityId: id }
  assertCan(c.var.principal, 'community.read', scope)
  // Each section is loaded and shown only when the API would answer this admin the same.
  const allowed = (action: Action) => can(c.var.principal, action, scope)
  const when = <T,>(action: Action, load: () => Promise<T>) =>
    allowed(action) ? load() : Promise.resolve(null)
  const community = await getCommunityOrThrow(c.var.db, id)
  const [groups, invites, stats, board, rewards] = await Promise.all([
    when('groups.read', () => listGroups(c.var.db, id, { limit: 100 })),
    when('invites.read', () => listInvites(c.var.db, id, { limit: 100 })),
    when('stats.read', () =>
      loadStatsView(c, { communityId: id }, `/admin/communities/${id}/stats.csv`),
    ),
    when('referrals.read', () => leaderboard(c.var.db, id, { limit: 10 })),
    when('referrals.read', () => listRewards(c.var.db, id, { limit: 20 })),
  ])
  const campaignLinks = (invites?.data ?? []).filter((invite) => !invite.referrerMemberId)
  return communityShell(
    c,
    community,
    '',
    community.name,
    <>
      {stats && <StatsSections c={c} view={stats} />}
      {invites && (
        <section>
          <h2>{t.links}</h2>
          {campaignLinks.length === 0 ? (
            <p class="muted">{t.noLinks}</p>
          ) : (
            <LinksTable c={c} links={campaignLinks} stats={stats} />
          )}
          {allowed('invites.manage') && (
            <form method="post" action={inLanguage(c, `/admin/communities/${id}/links`)}>
              <Csrf token={await csrfTokenFor(c)} />
              <h2 class="spaced">{t.create}</h2>
              <div class="grid">
                <div>
                  <label for="label">{t.label}</label>
                  <input
                    id="label"
                    name="label"
                    maxlength={100}
                    placeholder={t.labelPlaceholder}
                    {...fieldAttributes(form, 'label')}
                  />
                  <FieldError form={form} field="label" />
                </div>
                <div>
                  <label for="source">{t.source}</label>
                  <input
                    id="source"
                    name="source"
                    maxlength={64}
                    placeholder="instagram"
                    {...fieldAttributes(form, 'source')}
                  />
                  <FieldError form={form} field="source" />
                </div>
                <div>
                  <label for="campaign">{t.campaign}</label>
                  <input
                    id="campaign"
                    name="campaign"
                    maxlength={64}
                    {...fieldAttributes(form, 'campaign')}
                  />
                  <FieldError form={form} field="campaign" />
                </div>
                <div>
                  <label for="groupId">{t.group}</label>
                  <select
                    id="groupId"
                    name="groupId"
                    {...fieldAttributes(form, 'groupId', { withValue: false })}
                  >
                    <option value="">{t.wholeCommunity}</option>
                    <DiscussionGroupOptions
                      groups={groups?.data ?? []}
                      selected={sentText(form, 'groupId')}
                    />
                  </select>
                  <FieldError form={form} field="groupId" />
                </div>
                <div>
                  <label for="maxUses">{t.maxUses}</label>
                  <input
                    id="maxUses"
                    name="maxUses"
                    type="number"
                    min={1}
                    {...fieldAttributes(form, 'maxUses')}
                  />
                  <FieldError form={form} field="maxUses" />
                </div>
                <div>
                  <label for="code">{t.customCode}</label>
                  <input
                    id="code"
                    name="code"
                    minlength={CODE_MIN_LENGTH}
                    maxlength={CODE_MAX_LENGTH}
                    pattern={CODE_PATTERN.source.slice(1, -1)}
                    autocapitalize="none"
                    spellcheck={false}
                    placeholder={t.customCodePlaceholder}
                    {...fieldAttributes(form, 'code', { hint: 'code-hint' })}
                  />
                  <div id="code-hint" class="muted">
                    {t.customCodeHint}
                  </div>
                  <FieldError form={form} field="code" />
                </div>
              </div>
              <p>
                <button type="submit">{t.create}</button>
              </p>
            </form>
          )}
        </section>
      )}
      {groups && (
        <section>
          <h2>{t.groups}</h2>
          <GroupsTable lang={lang(c)} groups={groups.data} />
        </section>
      )}
      {board && rewards && (
        <section>
          <h2>{t.leaderboard}</h2>
          {board.length === 0 && <p class="muted">{t.noLeaders}</p>}
          <ol>
            {board.map((row) => (
              <li>
                <bdi>{row.name}</bdi>: {row.referrals}
              </li>
            ))}
          </ol>
          <h2>{t.rewards}</h2>
          {rewards.data.length === 0 && <p class="muted">{t.noRewards}</p>}
          <ul>
            {rewards.data.map((reward) => (
              <li>
                <bdi>{reward.memberName}</bdi>: <bdi>{reward.title}</bdi>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>,
    form?.status,
  )
}

const NEW_LINK_FIELDS = ['label', 'source', 'campaign', 'groupId', 'maxUses', 'code'] as const

const NewLinkForm = z.object({
  label: InviteLabelSchema.optional(),
  source: TagSchema.optional(),
  campaign: TagSchema.optional(),
  groupId: z.string().regex(idPattern('grp')).optional(),
  maxUses: z.coerce.number().int().min(1).max(1_000_000).optional(),
  code: CustomCodeSchema.optional(),
})

linksPages.post('/admin/communities/:id/links', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'invites.manage')
  const t = words(lang(c))
  const form = await readForm(c)
  const values = Object.fromEntries(NEW_LINK_FIELDS.map((key) => [key, formText(form, key)]))
  const refused = (errors: FieldMessages, status: 400 | 409) =>
    overviewPage(c, id, { values, errors, status })
  const parsed = NewLinkForm.safeParse(values)
  if (!parsed.success) {
    const errors = fieldMessages(lang(c), parsed.error.issues)
    // The code's own rules, said in the page's language.
    const codeProblem = values.code ? customCodeProblem(values.code) : null
    if (codeProblem) errors.code = t.codeProblems[codeProblem]
    return refused(errors, 400)
  }
  try {
    const invite = await createInvite(c.var.db, id, parsed.data, new Date())
    return c.redirect(inLanguage(c, withNotice(`/admin/links/${invite.id}`, 'created')), 303)
  } catch (error) {
    if (error instanceof ApiError && error.code === 'code_taken')
      return refused({ code: t.codeProblems.taken }, 409)
    // A rule only the service can check, such as a group of another community.
    const fields = (
      error instanceof ApiError && error.code === 'validation_failed' ? (error.errors ?? []) : []
    ).flatMap((e) => NEW_LINK_FIELDS.filter((name) => name === e.path))
    if (fields.length > 0)
      return refused(Object.fromEntries(fields.map((field) => [field, t.checkField])), 400)
    throw error
  }
})

linksPages.get('/admin/links/:id', async (c) => {
  const t = words(lang(c))
  const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
  const scope = { communityId: invite.communityId }
  assertCan(c.var.principal, 'invites.read', scope)
  const community = await getCommunityOrThrow(c.var.db, invite.communityId)
  const urls = inviteUrls(c.var.config.PUBLIC_BASE_URL, invite.code)
  const stats = can(c.var.principal, 'stats.read', scope)
    ? await loadStatsView(c, { inviteId: invite.id }, `/admin/links/${invite.id}/stats.csv`)
    : null
  const status = inviteStatus(invite, new Date())
  const csrf = await csrfTokenFor(c)
  return shell(
    c,
    invite.label ?? invite.code,
    <>
      <p>
        <a href={`/admin/communities/${community.id}`}>
          ← <bdi>{community.name}</bdi>
        </a>
      </p>
      <h1>
        <bdi>{invite.label ?? invite.code}</bdi>
      </h1>
      <section>
        <p class="code">
          <a href={urls.url}>{urls.url}</a>{' '}
          <button type="button" class="secondary" data-copy={urls.url} data-done={t.copied}>
            {t.copy}
          </button>
        </p>
        <p>
          {t.status}: <b>{t.inviteStatuses[status]}</b>
        </p>
        {status === 'active' && (
          <>
            <img
              src={`/i/${invite.code}/qr.svg?size=240`}
              alt={t.qrAlt(urls.url)}
              width="240"
              height="240"
            />
            <p>
              <a class="button" href={`/i/${invite.code}/qr.svg?download=1`}>
                {t.downloadSvg}
              </a>{' '}
              <a class="button" href={`/i/${invite.code}/qr.png?size=1024&download=1`}>
                {t.downloadPng}
              </a>
            </p>
          </>
        )}
        {can(c.var.principal, 'invites.manage', scope) && (
          <p>
            <form method="post" action={`/admin/links/${invite.id}/rotate`} class="inline">
              <Csrf token={csrf} />
              <button type="submit" class="secondary">
                {t.rotate}
              </button>
            </form>{' '}
            {!invite.revokedAt && (
              <form
                method="post"
                action={`/admin/links/${invite.id}/revoke`}
                class="inline"
                data-confirm={t.confirmRevoke}
              >
                <Csrf token={csrf} />
                <button type="submit" class="danger">
                  {t.revoke}
                </button>
              </form>
            )}
          </p>
        )}
      </section>
      {stats && <StatsSections c={c} view={stats} />}
    </>,
    invite.communityId,
  )
})

for (const action of ['revoke', 'rotate'] as const) {
  linksPages.post(`/admin/links/:id/${action}`, async (c) => {
    const invite = await getInviteOrThrow(c.var.db, idOrThrow(InviteId, c.req.param('id')))
    assertCan(c.var.principal, 'invites.manage', { communityId: invite.communityId })
    await (action === 'revoke' ? revokeInvite : rotateInvite)(c.var.db, invite, new Date())
    return c.redirect(
      withNotice(`/admin/links/${invite.id}`, action === 'revoke' ? 'revoked' : 'rotated'),
      303,
    )
  })
}

/** The figures of every day of the chosen period, as a spreadsheet opens them. */
function csvResponse(c: Context<AppEnv>, view: StatsView, name: string) {
  return c.body(
    statsCsv(view.days),
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
  assertCan(c.var.principal, 'stats.read', { communityId: invite.communityId })
  const view = await loadStatsView(c, { inviteId: invite.id }, '')
  return csvResponse(c, view, invite.code)
})
