import type { ApiToken, Group, TeamInvitation } from '../../db/schema'
import { TEAM_WORDS, type Lang } from '../../lib/i18n'
import { formatMoment } from '../../lib/time'
import { Csrf, groupLabel, Shell, words } from './shell'
import { Field, fieldAttributes, sentText, TextField, type FormState } from '../form-fields'
import { RefusedSummary } from './refused-summary'
import { ActionButton, CopyButton, NextPageLink } from './frame'
import { AdminRoleForm } from './admin-role-form'

/** A sign-in link just created, shown once on the answer to its POST (never in a redirect). */
export interface ShownLink {
  name: string
  url: string
  expiresAt: Date
}

/** What a community's team page shows, read and decided by its handler. */
export interface TeamView {
  lang: Lang
  communityId: string
  timeZone: string
  csrf: string
  /** Whether this admin may invite, renew and revoke (the forms show only then). */
  manage: boolean
  /** Whether this admin may promote and demote admins (`admins.change`). */
  changeAdmins: boolean
  team: ApiToken[]
  /** The names of the tokens that made or invited those of `team`, by id (`teamMakersQuery`). */
  makers: Map<string, string>
  nextHref: string | undefined
  pending: TeamInvitation[]
  groups: Group[]
  /** The paths of the page's forms, in the page's language. */
  actionPath: (path: string) => string
  shown?: ShownLink
  form?: FormState
  notice?: string
  /** A teammate's address refused, shown in their row with what was sent. */
  emailRefused?: { tokenId: string; sent: string; message: string }
}

/**
 * A community's team: who has access and when they last used it, one-time sign-in links for new
 * teammates (and fresh ones for those whose session ended), revoking either.
 */
export function TeamPage(props: TeamView) {
  const t = words(props.lang)
  const tt = TEAM_WORDS[props.lang]
  const { team, groups, csrf, manage, shown, form, notice, actionPath } = props
  const id = props.communityId
  const when = (at: Date) => formatMoment(props.lang, at, props.timeZone)
  // "made by …", "invited by …"; a maker no longer stored reads as an owner.
  const byWhom = (words: string, tokenId: string | null) =>
    tokenId && (
      <span class="muted">
        {' '}
        · {words} <bdi>{props.makers.get(tokenId) ?? tt.owner}</bdi>
      </span>
    )
  const role = sentText(form, 'role', 'community_admin')
  const emailRefused = props.emailRefused
  return (
    <>
      <RefusedSummary
        lang={props.lang}
        forms={[
          { form },
          {
            form: emailRefused && { values: {}, errors: { email: emailRefused.message } },
            idOf: () => teammateEmailId(emailRefused!.tokenId),
          },
        ]}
      />
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
            <CopyButton lang={props.lang} text={shown.url} />{' '}
            <span class="muted">
              {/* Relayed to someone who may live elsewhere: the time says its zone. */}
              {tt.linkExpires(
                formatMoment(props.lang, shown.expiresAt, props.timeZone, { zone: true }),
              )}
            </span>
          </p>
        </section>
      )}
      {manage && (
        <section>
          <h2>{tt.inviteTeammate}</h2>
          <p class="muted">{tt.inviteHint}</p>
          <form method="post" action={actionPath(`/admin/communities/${id}/team/invitations`)}>
            <Csrf token={csrf} />
            <div class="grid">
              <TextField
                form={form}
                field="name"
                label={tt.whoFor}
                required
                maxlength={100}
                value={sentText(form, 'name')}
              />
              <TextField
                form={form}
                field="email"
                type="email"
                label={tt.emailField}
                maxlength={254}
                autocomplete="off"
                value={sentText(form, 'email')}
              />
              <Field form={form} field="role" label={tt.role}>
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
              </Field>
              <Field form={form} field="groupId" label={tt.groupForGroupAdmin}>
                <select
                  id="groupId"
                  name="groupId"
                  {...fieldAttributes(form, 'groupId', { withValue: false })}
                >
                  <option value="">–</option>
                  {groups.map((group) => (
                    <option value={group.id} selected={sentText(form, 'groupId') === group.id}>
                      {groupLabel(t, group)}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
            <p>
              <button type="submit">{tt.createLink}</button>
            </p>
          </form>
        </section>
      )}
      <section>
        <h2>{tt.whoHasAccess}</h2>
        {team.length === 0 && <p class="muted">{tt.noTeammates}</p>}
        <table class="cards" hidden={team.length === 0}>
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
            {team.map((token) => (
              <tr>
                <td data-label={tt.name}>
                  <bdi>{token.name}</bdi>
                  {token.email && (
                    <span class="muted">
                      {' '}
                      · <bdi>{token.email}</bdi>
                      {token.emailSetBy && (
                        <>
                          {' '}
                          (
                          <span title={tt.emailSetByHint}>
                            {token.emailSetBy === 'owner'
                              ? tt.emailSetByOwner
                              : tt.emailSetBy(token.emailSetBy)}
                          </span>
                          )
                        </>
                      )}
                    </span>
                  )}
                </td>
                <td data-label={tt.role}>
                  <RoleOf lang={props.lang} holder={token} groups={groups} />
                  {props.changeAdmins && (
                    <div>
                      <AdminRoleForm
                        lang={props.lang}
                        communityId={id}
                        admin={token}
                        groups={groups}
                        csrf={csrf}
                        back="team"
                        actionPath={actionPath}
                      />
                    </div>
                  )}
                </td>
                <td data-label={tt.added}>
                  {when(token.createdAt)}
                  {byWhom(tt.madeBy, token.createdByTokenId)}
                  {byWhom(tt.invitedByInline, token.invitedByTokenId)}
                </td>
                <td data-label={tt.lastUsed}>
                  {token.lastUsedAt ? when(token.lastUsedAt) : tt.never}
                </td>
                {manage && (
                  <td data-label="" class="actions">
                    <form
                      method="post"
                      action={actionPath(`/admin/communities/${id}/team/${token.id}/email`)}
                      class="inline"
                    >
                      <Csrf token={csrf} />
                      <input
                        id={teammateEmailId(token.id)}
                        type="email"
                        name="email"
                        maxlength={254}
                        aria-label={`${tt.email}: ${token.name}`}
                        placeholder={tt.email}
                        value={
                          props.emailRefused?.tokenId === token.id
                            ? props.emailRefused.sent
                            : (token.email ?? '')
                        }
                        aria-invalid={props.emailRefused?.tokenId === token.id ? 'true' : undefined}
                        aria-describedby={
                          props.emailRefused?.tokenId === token.id ? 'email-refused' : undefined
                        }
                      />{' '}
                      <button type="submit" class="secondary">
                        {tt.saveEmail}
                      </button>
                      {props.emailRefused?.tokenId === token.id && (
                        <p id="email-refused" class="err">
                          {props.emailRefused.message}
                        </p>
                      )}
                    </form>
                    <ActionButton
                      action={actionPath(`/admin/communities/${id}/team/${token.id}/link`)}
                      csrf={csrf}
                      label={tt.newSignInLink}
                      kind="secondary"
                    />
                    <ActionButton
                      action={actionPath(`/admin/communities/${id}/team/${token.id}/revoke`)}
                      csrf={csrf}
                      label={tt.revokeAccess}
                      kind="secondary"
                      confirm={tt.confirmRevokeAccess}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        <NextPageLink lang={props.lang} href={props.nextHref} />
      </section>
      <section>
        <h2>{tt.pendingInvitations}</h2>
        {props.pending.length === 0 ? (
          <p class="muted">{tt.noPending}</p>
        ) : (
          <PendingTable {...props} />
        )}
      </section>
    </>
  )
}

/** A role in words, with the group of a group admin (a teammate's, or an invitation's). */
function RoleOf(props: {
  lang: Lang
  holder: Pick<ApiToken, 'role' | 'groupId'>
  groups: Group[]
}) {
  const t = words(props.lang)
  const { role, groupId } = props.holder
  const group = groupId ? props.groups.find((candidate) => candidate.id === groupId) : undefined
  return (
    <>
      {t.roles[role]}
      {role === 'group_admin' && group && (
        <span class="muted">
          {' '}
          · <bdi>{groupLabel(t, group)}</bdi>
        </span>
      )}
    </>
  )
}

function PendingTable(props: TeamView) {
  const tt = TEAM_WORDS[props.lang]
  const { manage, csrf } = props
  return (
    <table class="cards">
      <thead>
        <tr>
          <th>{tt.name}</th>
          <th>{tt.role}</th>
          <th>{tt.invitedBy}</th>
          <th>{tt.expires}</th>
          {manage && <th>{tt.actions}</th>}
        </tr>
      </thead>
      <tbody>
        {props.pending.map((invitation) => (
          <tr>
            <td data-label={tt.name}>
              <bdi>{invitation.name}</bdi>
            </td>
            <td data-label={tt.role}>
              <RoleOf lang={props.lang} holder={invitation} groups={props.groups} />
            </td>
            <td data-label={tt.invitedBy}>
              <bdi>{invitation.invitedBy === 'owner' ? tt.owner : invitation.invitedBy}</bdi>
            </td>
            <td data-label={tt.expires}>
              {formatMoment(props.lang, invitation.expiresAt, props.timeZone)}
            </td>
            {manage && (
              <td data-label="" class="actions">
                <ActionButton
                  action={props.actionPath(
                    `/admin/communities/${props.communityId}/team/invitations/${invitation.id}/revoke`,
                  )}
                  csrf={csrf}
                  label={tt.revokeLink}
                  kind="secondary"
                />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * What a sign-in link opens: a page that says what it does and asks to confirm; or, for a link
 * used or expired, that it is gone.
 */
export function AcceptPage(props: {
  lang: Lang
  nonce: string
  action: string
  invitation: TeamInvitation
  communityName: string
}) {
  const tt = TEAM_WORDS[props.lang]
  const { invitation } = props
  return (
    <Shell lang={props.lang} nonce={props.nonce} title={tt.acceptTitle}>
      <section class="narrow">
        <h1>{tt.acceptTitle}</h1>
        <p>{tt.acceptText(invitation.name, props.communityName, tt.roles[invitation.role])}</p>
        <form method="post" action={props.action}>
          <p>
            <button type="submit">{tt.acceptButton}</button>
          </p>
        </form>
      </section>
    </Shell>
  )
}

/** What a sign-in link used up or expired opens. */
export function AcceptGonePage(props: { lang: Lang; nonce: string }) {
  const tt = TEAM_WORDS[props.lang]
  return (
    <Shell lang={props.lang} nonce={props.nonce} title={tt.acceptGoneTitle}>
      <section class="narrow">
        <h1>{tt.acceptGoneTitle}</h1>
        <p>{tt.acceptGoneText}</p>
      </section>
    </Shell>
  )
}

/** The id of a teammate's address field, which a refusal's summary links to. */
function teammateEmailId(tokenId: string): string {
  return `email-${tokenId}`
}
