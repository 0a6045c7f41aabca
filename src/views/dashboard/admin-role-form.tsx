import type { ApiToken, Group } from '../../db/schema'
import { TEAM_WORDS, type Lang } from '../../lib/i18n'
import { Csrf, groupLabel, words } from './shell'

/** The pages an admin's role is changed from, each the one its form leads back to. */
export const ROLE_FORM_PAGES = ['settings', 'team'] as const

/**
 * Promotes a group admin to community admin, or demotes a community admin (to the group they
 * came from, or to one picked here when they came from none): the settings page's admins and the
 * team page's teammates alike, back to the page it was sent from.
 */
export function AdminRoleForm(props: {
  lang: Lang
  communityId: string
  admin: Pick<ApiToken, 'id' | 'role' | 'groupId' | 'name'>
  groups: Group[]
  csrf: string
  back: (typeof ROLE_FORM_PAGES)[number]
  actionPath?: (path: string) => string
}) {
  const t = words(props.lang)
  const tt = TEAM_WORDS[props.lang]
  const { admin } = props
  const change = admin.role === 'group_admin' ? 'promote' : 'demote'
  const path = `/admin/communities/${props.communityId}/admins/${admin.id}/${change}`
  return (
    // Asked first: one tap beside "Revoke access" changes what this person may do at once.
    <form
      method="post"
      action={props.actionPath?.(path) ?? path}
      class="inline"
      data-confirm={
        change === 'promote' ? tt.confirmPromote(admin.name) : tt.confirmDemote(admin.name)
      }
    >
      <Csrf token={props.csrf} />
      <input type="hidden" name="back" value={props.back} />
      {admin.role === 'community_admin' && !admin.groupId && (
        <select name="groupId" aria-label={t.group}>
          {props.groups.map((group) => (
            <option value={group.id}>{groupLabel(t, group)}</option>
          ))}
        </select>
      )}{' '}
      <button type="submit" class="secondary">
        {change === 'promote' ? t.promote : t.demote}
      </button>
    </form>
  )
}
