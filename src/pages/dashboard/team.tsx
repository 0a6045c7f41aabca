import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env'
import { communityFor } from '../../api/community-scope'
import { signInLinkUrl } from '../../api/team'
import { ApiError, notFound } from '../../lib/errors'
import { fieldMessages } from '../../lib/field-errors'
import { readForm } from '../../lib/forms'
import { TEAM_WORDS } from '../../lib/i18n'
import { idPattern } from '../../lib/ids'
import { formatMoment } from '../../lib/time'
import { auditLater } from '../../middleware/audit-trail'
import { csrfTokenFor, signIn } from '../../middleware/dashboard-session'
import { cspNonce } from '../../middleware/security-headers'
import { CreateTeamInvitationSchema } from '../../schemas/team'
import { can } from '../../services/access'
import { getCommunityOrThrow } from '../../services/communities'
import { listGroups } from '../../services/groups'
import {
  acceptInvitation,
  createInvitation,
  createSignInLink,
  findOpenInvitation,
  getPendingInvitationOrThrow,
  getTeammateOrThrow,
  listPendingInvitations,
  listTeam,
  revokeInvitation,
} from '../../services/team'
import { principalOf, revokeToken } from '../../services/tokens'
import { Csrf, groupLabel, Shell, words } from '../../views/dashboard'
import { FieldError, fieldAttributes, sentText, type FormState } from '../../views/form-fields'
import { actorName } from '../../services/audit'
import type { Community, TeamInvitation } from '../../db/schema'
import {
  CommunityId,
  communityShell,
  cursorOf,
  idOrThrow,
  inLanguage,
  lang,
  NextPage,
} from './page'

/**
 * A community's team: who has access and when they last used it, one-time sign-in links for new
 * teammates (and fresh ones for those whose session ended), revoking either; and the page a
 * sign-in link opens. Nobody sees or pastes a token: the link creates one behind the scenes.
 */
export const teamPages = new Hono<AppEnv>()

const TokenId = z.string().regex(idPattern('tok'))
const InvitationId = z.string().regex(idPattern('tin'))

/** A sign-in link just created, shown once on the answer to its POST (never in a redirect). */
interface ShownLink {
  name: string
  url: string
  expiresAt: Date
}

function teamWords(c: Context<AppEnv>) {
  return TEAM_WORDS[lang(c)]
}

function inviteFormValues(form: Record<string, unknown>) {
  const text = (key: string) => (typeof form[key] === 'string' ? (form[key] as string) : '')
  return { name: text('name'), role: text('role'), groupId: text('groupId') }
}

teamPages.get('/admin/communities/:id/team', (c) =>
  teamPage(c, idOrThrow(CommunityId, c.req.param('id'))),
)

async function teamPage(
  c: Context<AppEnv>,
  id: string,
  extra: { shown?: ShownLink; form?: FormState; notice?: string } = {},
) {
  const t = words(lang(c))
  const tt = teamWords(c)
  const community = await communityFor(c, id, 'team.read')
  const manage = can(c.var.principal, 'team.manage', { communityId: id })
  const now = new Date()
  const [team, pending, groups] = await Promise.all([
    listTeam(c.var.db, id, { cursor: cursorOf(c), limit: 100 }),
    listPendingInvitations(c.var.db, id, now, { limit: 100 }),
    listGroups(c.var.db, id, { limit: 100 }),
  ])
  const groupName = new Map(groups.data.map((group) => [group.id, groupLabel(t, group)]))
  const when = (at: Date) => formatMoment(lang(c), at, community.timeZone)
  const csrf = await csrfTokenFor(c)
  const { shown, form, notice } = extra
  const role = sentText(form, 'role', 'community_admin')
  return communityShell(
    c,
    community,
    '/team',
    `${community.name}: ${tt.team}`,
    <>
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      {shown && (
        <section class="ok" role="status">
          <p>{tt.linkOnce(shown.name)}</p>
          <label for="sign-in-link">{tt.linkField}</label>
          <input id="sign-in-link" class="wide code" readonly value={shown.url} />
          <p>
            <button type="button" class="secondary" data-copy={shown.url} data-done={t.copied}>
              {t.copy}
            </button>{' '}
            <span class="muted">{tt.linkExpires(when(shown.expiresAt))}</span>
          </p>
        </section>
      )}
      {manage && (
        <section>
          <h2>{tt.inviteTeammate}</h2>
          <p class="muted">{tt.inviteHint}</p>
          <form method="post" action={inLanguage(c, `/admin/communities/${id}/team/invitations`)}>
            <Csrf token={csrf} />
            <div class="grid">
              <div>
                <label for="name">{tt.whoFor}</label>
                <input
                  id="name"
                  name="name"
                  required
                  maxlength={100}
                  value={sentText(form, 'name')}
                  {...fieldAttributes(form, 'name', { withValue: false })}
                />
                <FieldError form={form} field="name" />
              </div>
              <div>
                <label for="role">{tt.role}</label>
                <select
                  id="role"
                  name="role"
                  {...fieldAttributes(form, 'role', { withValue: false })}
                >
                  <option value="community_admin" selected={role !== 'group_admin'}>
                    {tt.roles.community_admin}
                  </option>
                  <option value="group_admin" selected={role === 'group_admin'}>
                    {tt.roles.group_admin}
                  </option>
                </select>
                <FieldError form={form} field="role" />
              </div>
              <div>
                <label for="groupId">{tt.groupForGroupAdmin}</label>
                <select
                  id="groupId"
                  name="groupId"
                  {...fieldAttributes(form, 'groupId', { withValue: false })}
                >
                  <option value="">–</option>
                  {groups.data.map((group) => (
                    <option value={group.id} selected={sentText(form, 'groupId') === group.id}>
                      {groupLabel(t, group)}
                    </option>
                  ))}
                </select>
                <FieldError form={form} field="groupId" />
              </div>
            </div>
            <p>
              <button type="submit">{tt.createLink}</button>
            </p>
          </form>
        </section>
      )}
      <section>
        <h2>{tt.whoHasAccess}</h2>
        {team.data.length === 0 && <p class="muted">{tt.noTeammates}</p>}
        <table class="cards" hidden={team.data.length === 0}>
          <thead>
            <tr>
              <th>{tt.name}</th>
              <th>{tt.role}</th>
              <th>{tt.added}</th>
              <th>{tt.lastUsed}</th>
              {manage && <th>{tt.actions}</th>}
            </tr>
          </thead>
          <tbody>
            {team.data.map((token) => (
              <tr>
                <td data-label={tt.name}>
                  <bdi>{token.name}</bdi>
                </td>
                <td data-label={tt.role}>
                  {t.roles[token.role]}
                  {token.role === 'group_admin' && token.groupId && (
                    <span class="muted">
                      {' '}
                      · <bdi>{groupName.get(token.groupId)}</bdi>
                    </span>
                  )}
                </td>
                <td data-label={tt.added}>{when(token.createdAt)}</td>
                <td data-label={tt.lastUsed}>
                  {token.lastUsedAt ? when(token.lastUsedAt) : tt.never}
                </td>
                {manage && (
                  <td data-label="" class="actions">
                    <form
                      method="post"
                      action={inLanguage(c, `/admin/communities/${id}/team/${token.id}/link`)}
                      class="inline"
                    >
                      <Csrf token={csrf} />
                      <button type="submit" class="secondary">
                        {tt.newSignInLink}
                      </button>
                    </form>
                    <form
                      method="post"
                      action={inLanguage(c, `/admin/communities/${id}/team/${token.id}/revoke`)}
                      class="inline"
                      data-confirm={tt.confirmRevokeAccess}
                    >
                      <Csrf token={csrf} />
                      <button type="submit" class="secondary">
                        {tt.revokeAccess}
                      </button>
                    </form>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        <NextPage cursor={team.nextCursor} c={c} />
      </section>
      <section>
        <h2>{tt.pendingInvitations}</h2>
        {pending.data.length === 0 ? (
          <p class="muted">{tt.noPending}</p>
        ) : (
          <PendingTable c={c} community={community} pending={pending.data} csrf={manage && csrf} />
        )}
      </section>
    </>,
    form ? 400 : 200,
  )
}

function PendingTable(props: {
  c: Context<AppEnv>
  community: Community
  pending: TeamInvitation[]
  csrf: string | false
}) {
  const { c, community, csrf } = props
  const t = words(lang(c))
  const tt = teamWords(c)
  return (
    <table class="cards">
      <thead>
        <tr>
          <th>{tt.name}</th>
          <th>{tt.role}</th>
          <th>{tt.invitedBy}</th>
          <th>{tt.expires}</th>
          {csrf && <th>{tt.actions}</th>}
        </tr>
      </thead>
      <tbody>
        {props.pending.map((invitation) => (
          <tr>
            <td data-label={tt.name}>
              <bdi>{invitation.name}</bdi>
            </td>
            <td data-label={tt.role}>{t.roles[invitation.role]}</td>
            <td data-label={tt.invitedBy}>
              <bdi>{invitation.invitedBy === 'owner' ? tt.owner : invitation.invitedBy}</bdi>
            </td>
            <td data-label={tt.expires}>
              {formatMoment(lang(c), invitation.expiresAt, community.timeZone)}
            </td>
            {csrf && (
              <td data-label="" class="actions">
                <form
                  method="post"
                  action={inLanguage(
                    c,
                    `/admin/communities/${community.id}/team/invitations/${invitation.id}/revoke`,
                  )}
                  class="inline"
                >
                  <Csrf token={csrf} />
                  <button type="submit" class="secondary">
                    {tt.revokeLink}
                  </button>
                </form>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

teamPages.post('/admin/communities/:id/team/invitations', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  await communityFor(c, id, 'team.manage')
  const values = inviteFormValues(await readForm(c))
  const parsed = CreateTeamInvitationSchema.safeParse({
    name: values.name,
    role: values.role,
    ...(values.role === 'group_admin' ? { groupId: values.groupId } : {}),
  })
  if (!parsed.success) {
    const errors = fieldMessages(lang(c), parsed.error.issues, {
      groupId: teamWords(c).groupMissing,
    })
    return teamPage(c, id, { form: { values, errors } })
  }
  const now = new Date()
  try {
    const { secret, invitation } = await createInvitation(
      c.var.db,
      id,
      parsed.data,
      actorName(c.var.principal),
      now,
    )
    return teamPage(c, id, { shown: shownLink(c, secret, invitation) })
  } catch (error) {
    // A group of another community (a crafted form) is refused like a missing one.
    const errors = { groupId: teamWords(c).groupMissing }
    if (error instanceof ApiError && error.code === 'validation_failed') {
      return teamPage(c, id, { form: { values, errors } })
    }
    throw error
  }
})

function shownLink(c: Context<AppEnv>, secret: string, invitation: TeamInvitation): ShownLink {
  return {
    name: invitation.name,
    url: signInLinkUrl(c.var.config.PUBLIC_BASE_URL, secret),
    expiresAt: invitation.expiresAt,
  }
}

teamPages.post('/admin/communities/:id/team/:tokenId/link', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const tokenId = idOrThrow(TokenId, c.req.param('tokenId'))
  await communityFor(c, id, 'team.manage')
  const { secret, invitation } = await createSignInLink(
    c.var.db,
    id,
    tokenId,
    actorName(c.var.principal),
    new Date(),
  )
  return teamPage(c, id, { shown: shownLink(c, secret, invitation) })
})

teamPages.post('/admin/communities/:id/team/:tokenId/revoke', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const tokenId = idOrThrow(TokenId, c.req.param('tokenId'))
  await communityFor(c, id, 'team.manage')
  const token = await getTeammateOrThrow(c.var.db, id, tokenId)
  await revokeToken(c.var.db, token.id, new Date())
  // Revoking oneself ends this very session: the sign-in page is where that leads.
  if (token.id === c.var.principal.tokenId) return c.redirect('/admin/login', 303)
  return teamPage(c, id, { notice: teamWords(c).accessRevokedNotice })
})

teamPages.post('/admin/communities/:id/team/invitations/:invitationId/revoke', async (c) => {
  const id = idOrThrow(CommunityId, c.req.param('id'))
  const invitationId = idOrThrow(InvitationId, c.req.param('invitationId'))
  await communityFor(c, id, 'team.manage')
  const now = new Date()
  const invitation = await getPendingInvitationOrThrow(c.var.db, invitationId, now)
  if (invitation.communityId !== id) throw notFound('Invitation')
  await revokeInvitation(c.var.db, invitation.id, now)
  return teamPage(c, id, { notice: teamWords(c).linkRevokedNotice })
})

/** The path a sign-in link opens; outside the session check, as its holder has none yet. */
export const ACCEPT_PATH = /^\/admin\/accept\/[A-Za-z0-9_-]{1,100}$/

/**
 * What a sign-in link opens: a page that says what it does and asks to confirm. Only the POST
 * uses the link, so a mail client's link scanner that opens it does not use it up.
 */
teamPages.get('/admin/accept/:secret', async (c) => {
  const tt = teamWords(c)
  const invitation = await findOpenInvitation(c.var.db, c.req.param('secret'), new Date())
  if (!invitation) return gonePage(c)
  const community = await getCommunityOrThrow(c.var.db, invitation.communityId)
  return c.html(
    <Shell lang={lang(c)} nonce={cspNonce(c)} title={tt.acceptTitle}>
      <section class="narrow">
        <h1>{tt.acceptTitle}</h1>
        <p>{tt.acceptText(invitation.name, community.name, tt.roles[invitation.role])}</p>
        <form method="post" action={inLanguage(c, c.req.path)}>
          <p>
            <button type="submit">{tt.acceptButton}</button>
          </p>
        </form>
      </section>
    </Shell>,
  )
})

teamPages.post('/admin/accept/:secret', async (c) => {
  const accepted = await acceptInvitation(c.var.db, c.req.param('secret'), new Date())
  if (!accepted) return gonePage(c)
  const principal = principalOf(accepted.token)
  await signIn(c, principal)
  if (accepted.created) {
    auditLater(c, {
      communityId: accepted.invitation.communityId,
      action: 'teammate.joined',
      actor: principal,
      targetId: accepted.token.id,
    })
  }
  return c.redirect(inLanguage(c, `/admin/communities/${accepted.invitation.communityId}`), 303)
})

function gonePage(c: Context<AppEnv>) {
  const tt = teamWords(c)
  return c.html(
    <Shell lang={lang(c)} nonce={cspNonce(c)} title={tt.acceptGoneTitle}>
      <section class="narrow">
        <h1>{tt.acceptGoneTitle}</h1>
        <p>{tt.acceptGoneText}</p>
      </section>
    </Shell>,
    410,
  )
}
