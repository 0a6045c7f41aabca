import type { ApiToken, Community, Group } from '../../db/schema'
import { TEAM_WORDS, type Lang } from '../../lib/i18n'
import { ADD_GROUP_FIELD_IDS, AddGroupForm } from '../add-group-form'
import { Csrf, groupLabel, GroupsTable, words } from './shell'
import type { FormState } from '../form-fields'
import { CommunityFields } from './community-fields'
import { GroupEditForms, groupFieldId, type RefusedGroupEdit } from './group-edit-forms'
import { RefusedSummary } from './refused-summary'
import { AdminRoleForm } from './admin-role-form'

/** What a community's settings page shows, read and decided by its handler. */
export interface SettingsView {
  lang: Lang
  community: Community
  csrf: string
  /** The settings form, when this admin may change them (as sent, after a refusal). */
  edit: { action: string; form: FormState | undefined } | null
  /** The groups, when this admin may read them. */
  groups: Group[] | null
  /**
   * The groups this admin may change (name, description, chat link), where each form posts, and
   * the one sent back after a refusal.
   */
  groupEdits: {
    groups: Group[]
    actionFor: (groupId: string) => string
    refused: RefusedGroupEdit | undefined
  } | null
  /** The new group's form, when this admin may add one (as sent, after a refusal). */
  addGroup: { action: string; form: FormState | undefined } | null
  /** The admins, when this admin may read them. */
  admins: ApiToken[] | null
  /** Where teammates are invited, when this admin may. */
  teamHref: string | null
  changeAdmins: boolean
}

/** A community's settings, groups and admins. */
export function SettingsPage(props: SettingsView) {
  const t = words(props.lang)
  const { community, csrf, groups, admins } = props
  const id = community.id
  const groupName = new Map((groups ?? []).map((group) => [group.id, groupLabel(t, group)]))
  const refusedGroup = props.groupEdits?.refused
  return (
    <>
      <RefusedSummary
        lang={props.lang}
        forms={[
          { form: props.edit?.form },
          {
            form: refusedGroup?.form,
            idOf: (field) => groupFieldId(refusedGroup!.groupId, field),
          },
          { form: props.addGroup?.form, idOf: (field) => ADD_GROUP_FIELD_IDS[field] ?? field },
        ]}
      />
      {props.edit && (
        <section>
          <form method="post" action={props.edit.action}>
            <Csrf token={csrf} />
            <CommunityFields
              t={t}
              lang={props.lang}
              community={community}
              form={props.edit.form}
              onTelegram={groups?.some((group) => group.telegramChatId !== null)}
            />
            <p>
              <button type="submit">{t.save}</button>
            </p>
          </form>
        </section>
      )}
      {groups && (
        <section>
          <h2 id="groups">{t.groups}</h2>
          <GroupsTable lang={props.lang} groups={groups} />
          {props.groupEdits && props.groupEdits.groups.length > 0 && (
            <GroupEditForms lang={props.lang} csrf={csrf} {...props.groupEdits} />
          )}
          {props.addGroup && (
            <AddGroupForm
              lang={props.lang}
              csrf={csrf}
              action={props.addGroup.action}
              form={props.addGroup.form}
            />
          )}
        </section>
      )}
      {admins && (
        <section>
          <h2>{t.admins}</h2>
          {props.teamHref && (
            <p>
              <a href={props.teamHref}>{TEAM_WORDS[props.lang].inviteTeammate} →</a>
            </p>
          )}
          {/* On a phone each admin is a card: name, role, then the change, one under the other. */}
          <table class="cards">
            <tbody>
              {admins.map((admin) => (
                <tr>
                  <td data-label="">
                    <bdi>{admin.name}</bdi>
                  </td>
                  <td data-label="">
                    {t.roles[admin.role]}
                    {admin.groupId && (
                      <span class="muted">
                        {' '}
                        · <bdi>{groupName.get(admin.groupId)}</bdi>
                      </span>
                    )}
                  </td>
                  <td data-label="">
                    {props.changeAdmins && (
                      <AdminRoleForm
                        lang={props.lang}
                        communityId={id}
                        admin={admin}
                        groups={groups ?? []}
                        csrf={csrf}
                        back="settings"
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  )
}
