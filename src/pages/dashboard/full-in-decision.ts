import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { ID_CHUNK } from '../../lib/chunks'
import type { ApiError } from '../../lib/errors'
import { idPattern } from '../../lib/ids'
import type { NamedGroup } from '../../services/full-groups'
import { groupLabel, words } from '../../views/dashboard/shell'
import { lang, type FullInDecision } from './page'

/**
 * Which groups a bulk decision found full, carried by its redirect to the page's notice: group
 * ids and counts only (`full=grp_…:2,grp_…:1`). The page looks the names up among the groups it
 * may show, so a crafted parameter puts no words on the screen, and an id of a community the page
 * is not about names nothing.
 */

const GroupId = idPattern('grp')

/**
 * The requests each full group kept out, by group id, from the refusals of one decision: a
 * `group_full` names its group (`groupId`, see services/joining-target.ts).
 */
export function countFullGroups(refusals: ApiError[]): Map<string, number> {
  const full = new Map<string, number>()
  for (const error of refusals) {
    const groupId = error.code === 'group_full' ? error.extensions?.groupId : undefined
    if (groupId) full.set(groupId, (full.get(groupId) ?? 0) + 1)
  }
  return full
}

/** The redirect's `full` parameter for `countFullGroups`' answer ('' for none). */
export function fullParameter(full: Map<string, number>): string {
  return [...full]
    .slice(0, ID_CHUNK)
    .map(([id, waiting]) => `${id}:${waiting}`)
    .join(',')
}

/**
 * The groups the redirect's `full` names, with their counts: a group id and a count each, at most
 * `ID_CHUNK` of them (the look-up binds them all); anything else is left out.
 */
export function fullGroupsAsked(c: Context<AppEnv>): Map<string, number> {
  const asked = new Map<string, number>()
  for (const part of (c.req.query('full') ?? '').split(',').slice(0, ID_CHUNK)) {
    const [id = '', waiting = ''] = part.split(':')
    if (GroupId.test(id) && /^[1-9]\d{0,2}$/.test(waiting)) asked.set(id, Number(waiting))
  }
  return asked
}

/**
 * The full groups the page found among those asked for (`found`, looked up only where the page
 * may look), in the redirect's order, named as the dashboard names them.
 */
export function fullInDecision(
  c: Context<AppEnv>,
  asked: Map<string, number>,
  found: NamedGroup[],
): FullInDecision[] {
  const t = words(lang(c))
  const byId = new Map(found.map((group) => [group.id, group]))
  return [...asked].flatMap(([id, waiting]) => {
    const group = byId.get(id)
    return group ? [{ name: groupLabel(t, group), waiting }] : []
  })
}
