import {
  MEMBER_STATUSES,
  type ConsentMethod,
  type Group,
  type Member,
  type MemberStatus,
} from '../../db/schema'
import { formatNumber, MESSAGES, UNCONFIRMED_WORDS, type Lang } from '../../lib/i18n'
import { formatMoment } from '../../lib/time'
import { contactConsentOf } from '../../schemas/members'
import { groupLabel, words } from './shell'
import { ActionButton, Contacts, NextPageLink } from './frame'
import { onWhatsApp, WhatsAppInferredNote } from '../whatsapp-inferred'
import { chatOf, type MemberTotal } from '../../services/members'

/** What a community's members page shows, read and decided by its handler. */
export interface MembersView {
  lang: Lang
  communityId: string
  timeZone: string
  csrf: string
  filter: { q?: string; groupId?: string; status: MemberStatus }
  groups: Group[]
  members: Member[]
  /** The groups each member on the page is in. */
  groupsOf: Map<string, string[]>
  nextHref: string | undefined
  /** Whether this admin may remove members. */
  remove: boolean
  /** How many the list holds (`listedMemberTotal`). */
  total: MemberTotal | null
}

/** The CSV of the members the list shows: the same search, group and status. */
function exportHref(communityId: string, filter: MembersView['filter']): string {
  const query = new URLSearchParams({ status: filter.status })
  if (filter.q) query.set('q', filter.q)
  if (filter.groupId) query.set('groupId', filter.groupId)
  return `/admin/communities/${communityId}/members.csv?${query}`
}

/** Members: search, filter by group and status (who left, and why), remove, erase, export. */
export function MembersPage(props: MembersView) {
  const l = props.lang
  const t = words(l)
  const { filter, csrf } = props
  const groupName = new Map(props.groups.map((group) => [group.id, groupLabel(t, group)]))
  return (
    <>
      <section>
        <form method="get">
          <div class="grid">
            <div>
              <label for="q">{t.search}</label>
              <input id="q" name="q" value={filter.q ?? ''} placeholder={t.nameOrContact} />
            </div>
            <div>
              <label for="groupId">{t.group}</label>
              <select id="groupId" name="groupId">
                <option value="">{t.all}</option>
                {props.groups.map((group) => (
                  <option value={group.id} selected={group.id === filter.groupId}>
                    {groupLabel(t, group)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="status">{t.status}</label>
              <select id="status" name="status">
                {MEMBER_STATUSES.map((status) => (
                  <option value={status} selected={status === filter.status}>
                    {t.memberStatuses[status]}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <p>
            <button type="submit">{t.search}</button>
          </p>
          <p>
            <a href={exportHref(props.communityId, filter)}>{t.exportListCsv}</a> ·{' '}
            <a href={`/admin/communities/${props.communityId}/members.csv`}>{t.exportCsv}</a>
          </p>
        </form>
        {onWhatsApp(props.groups) && <WhatsAppInferredNote lang={l} />}
        {/* None found says so below, in words. */}
        {props.total && props.members.length > 0 && (
          <p>
            {t.memberTotal(`${formatNumber(l, props.total.count)}${props.total.more ? '+' : ''}`)}
          </p>
        )}
        <table class="cards">
          <thead>
            <tr>
              <th>{t.name}</th>
              <th>{t.contact}</th>
              <th>{t.groups}</th>
              <th>{t.consentRecord}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {props.members.map((member) => (
              <tr>
                <td data-label={t.name}>
                  <bdi>{member.name}</bdi>
                </td>
                <td data-label={t.contact}>
                  <Contacts of={member} />
                </td>
                <td data-label={t.groups}>
                  {(props.groupsOf.get(member.id) ?? []).map((groupId, i) => (
                    <>
                      {i > 0 && ', '}
                      <bdi>{groupName.get(groupId)}</bdi>
                    </>
                  ))}
                </td>
                <td data-label={t.consentRecord}>
                  {(['phone', 'email'] as const).map((contact) => {
                    if (member[contact] === null) return null
                    const record = contactConsentOf(member)[contact]
                    return (
                      <div>
                        {contact === 'phone' ? t.consentPhone : t.consentEmail}:{' '}
                        {record ? (
                          <>
                            {MESSAGES[l].consentMethods[record.method]},{' '}
                            <time datetime={record.confirmedAt}>
                              {formatMoment(l, new Date(record.confirmedAt), props.timeZone)}
                            </time>
                            {record.proofId && (
                              <ProofLine lang={l} method={record.method} proof={record.proofId} />
                            )}
                          </>
                        ) : (
                          <span class="muted">{t.contactUnconfirmed}</span>
                        )}
                      </div>
                    )
                  })}
                  {member.telegramConsentMethod && member.telegramConfirmedAt && (
                    <div>
                      {t.consentTelegram}:{' '}
                      {MESSAGES[l].consentMethods[member.telegramConsentMethod]},{' '}
                      <time datetime={member.telegramConfirmedAt.toISOString()}>
                        {formatMoment(l, member.telegramConfirmedAt, props.timeZone)}
                      </time>
                      {member.telegramConsentProof && (
                        <ProofLine
                          lang={l}
                          method={member.telegramConsentMethod}
                          proof={member.telegramConsentProof}
                        />
                      )}
                    </div>
                  )}
                </td>
                <td data-label="" class="actions">
                  {member.status !== 'active' && (
                    <div>
                      {t.memberStatuses[member.status]}
                      {member.endedAt && (
                        <>
                          {' '}
                          <time datetime={member.endedAt.toISOString()}>
                            {formatMoment(l, member.endedAt, props.timeZone)}
                          </time>
                        </>
                      )}
                      {member.leaveReason && (
                        <div class="muted">{t.endReasons[member.leaveReason]}</div>
                      )}
                    </div>
                  )}
                  {/* Under who left and when, with room between them. */}
                  <div class="row-actions">
                    {props.remove && member.status === 'active' && (
                      <ActionButton
                        action={`/admin/members/${member.id}/remove`}
                        csrf={csrf}
                        label={t.remove}
                        kind="danger"
                        confirm={`${t.confirmRemove} ${t.removeInChatYourself[chatOf(member)]}`}
                      />
                    )}
                    {props.remove && (
                      <ActionButton
                        action={`/admin/members/${member.id}/erase`}
                        csrf={csrf}
                        label={t.erase}
                        kind="danger"
                        confirm={`${t.confirmErase} ${t.removeInChatYourself[chatOf(member)]}`}
                      />
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {props.members.length === 0 && (
          <p class="muted">
            {filter.q || filter.groupId || filter.status !== 'active'
              ? t.noMembersFound
              : t.noMembers}
          </p>
        )}
        <NextPageLink lang={l} href={props.nextHref} />
      </section>
    </>
  )
}

/**
 * A consent record's proof: what it is, then its id (a message, a link, a report of the join),
 * or, recorded by an admin, what they wrote it was.
 */
function ProofLine(props: { lang: Lang; method: ConsentMethod; proof: string }) {
  const w = UNCONFIRMED_WORDS[props.lang]
  const kind = w.proofKinds[props.method]
  return (
    <div class="muted small">
      {w.proof}:{' '}
      {kind ? (
        <>
          {kind} <bdi class="code">{props.proof}</bdi>
        </>
      ) : (
        <bdi>{props.proof}</bdi>
      )}
    </div>
  )
}
