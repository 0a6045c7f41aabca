import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Database } from '../db/client'
import { groups, inviteCodes, invites, type Invite } from '../db/schema'
import { chunks, rowsPerInsert } from '../lib/chunks'
import { canonicalCode, customCodeProblem, newInviteCode } from '../lib/codes'
import { ApiError, isUniqueViolation } from '../lib/errors'
import { planLinksIntoChatOf } from '../platforms/telegram/links-follow'
import { codeTaken, newInvite, type CreateInviteInput } from './invites'
import { fallbackCandidatesQuery, fallbackProblem, fallbackRefused } from './link-fallbacks'

/**
 * Links made in one request: a campaign's channels, a team of promoters, the posters of one
 * city. Each is two rows and its share of a few statements, well inside what one request may run.
 */
export const BULK_LINKS_MAX = 50

/**
 * Makes several links at once, in the order given, all or none: one batch writes them and
 * their codes, so a refusal (a group of another community, a custom code taken) leaves no link
 * half made. Custom codes are checked for shape by the caller's schema and here for being
 * free, each refusal naming its link (`links.3.code`); random ones are drawn again on the rare
 * collision. With `planTelegram`, links into a chat on Telegram get their Telegram link planned
 * in the same batch, for the cron job to make.
 */
export async function createInvites(
  db: Database,
  communityId: string,
  inputs: readonly CreateInviteInput[],
  now: Date,
  options: { planTelegram: boolean },
): Promise<Invite[]> {
  // The API's schema holds this already; held here for every caller, as one statement's bound
  // ids and the batch's size count on it.
  if (inputs.length === 0 || inputs.length > BULK_LINKS_MAX) {
    throw new ApiError('validation_failed', `Make 1 to ${BULK_LINKS_MAX} links at once.`, {
      errors: [{ path: 'links', message: `1 to ${BULK_LINKS_MAX} links` }],
    })
  }
  const wished = wishedCodes(inputs)
  // The groups and fallbacks named and the custom codes asked for, read in one round trip.
  const named = [...new Set(inputs.flatMap((input) => (input.groupId ? [input.groupId] : [])))]
  const fallbacks = [
    ...new Set(inputs.flatMap((input) => (input.fallbackInviteId ? [input.fallbackInviteId] : []))),
  ]
  const [groupRows, fallbackRows, takenRows] = await db.batch([
    db
      .select({ id: groups.id })
      .from(groups)
      .where(
        and(
          eq(groups.communityId, communityId),
          inArray(groups.id, named.length > 0 ? named : ['']),
        ),
      ),
    fallbackCandidatesQuery(db, communityId, fallbacks),
    takenCodesQuery(db, wished),
  ])
  assertGroupsFound(inputs, new Set(groupRows.map((row) => row.id)))
  assertFallbacksFound(inputs, fallbackRows, now)
  assertCodesFree(wished, takenRows)
  for (let tries = 0; ; tries++) {
    const made = inputs.map((input, index) =>
      newInvite(communityId, { ...input, code: wished[index] ?? newInviteCode() }, now),
    )
    const codes = made.map((invite) => ({ code: invite.code, inviteId: invite.id, createdAt: now }))
    const [first, ...rest] = [
      ...chunks(made, rowsPerInsert(invites)).map((rows) => db.insert(invites).values(rows)),
      ...chunks(codes, rowsPerInsert(inviteCodes)).map((rows) =>
        db.insert(inviteCodes).values(rows),
      ),
      ...(options.planTelegram
        ? [planLinksIntoChatOf(db, { groupsOfInvites: made.map((invite) => invite.id) }, now)]
        : []),
    ]
    try {
      await db.batch([first!, ...rest])
      return made
    } catch (error) {
      if (!isUniqueViolation(error, '.code')) throw error
      // A custom code taken since it was checked, by someone at the same moment: named as above.
      assertCodesFree(wished, await takenCodesQuery(db, wished))
      if (tries >= 2) throw error
    }
  }
}

/** Every group named is one of this community's (`found`); the first that is not is named by its link. */
function assertGroupsFound(inputs: readonly CreateInviteInput[], found: Set<string>) {
  const index = inputs.findIndex((input) => input.groupId && !found.has(input.groupId))
  if (index >= 0) {
    throw new ApiError('validation_failed', 'That group is not in this community.', {
      errors: [{ path: `links.${index}.groupId`, message: 'Not a group of this community' }],
    })
  }
}

/**
 * Every fallback named is a campaign link of this community that lets people in now (`found`,
 * as read), named by its link if not.
 */
function assertFallbacksFound(
  inputs: readonly CreateInviteInput[],
  found: Parameters<typeof fallbackProblem>[1],
  now: Date,
) {
  for (const [index, input] of inputs.entries()) {
    const problem = input.fallbackInviteId && fallbackProblem(input.fallbackInviteId, found, now)
    if (problem) throw fallbackRefused(`links.${index}.fallbackInviteId`, problem)
  }
}

/**
 * The custom codes asked for, as stored (lower case), by link; refused if one is not a code
 * (the API's schema refuses these already: held here for every caller) or is asked for twice.
 */
function wishedCodes(inputs: readonly CreateInviteInput[]): (string | null)[] {
  const firstAsking = new Map<string, number>()
  return inputs.map((input, index) => {
    if (!input.code) return null
    const problem = customCodeProblem(input.code)
    const code = canonicalCode(input.code)
    const earlier = firstAsking.get(code)
    if (problem || earlier !== undefined) {
      throw new ApiError('validation_failed', 'This code cannot be used.', {
        errors: [
          {
            path: `links.${index}.code`,
            message: problem
              ? `Not a valid custom code (${problem})`
              : `The same code as links.${earlier}.code`,
          },
        ],
      })
    }
    firstAsking.set(code, index)
    return code
  })
}

/** Which of the custom codes asked for some link has, or had (none asked, none read). */
function takenCodesQuery(db: Database, codes: readonly (string | null)[]) {
  const wished = codes.filter((code) => code !== null)
  return db
    .select({ code: inviteCodes.code })
    .from(inviteCodes)
    .where(inArray(inviteCodes.code, wished.length > 0 ? wished : ['']))
}

/**
 * No custom code asked for belongs, or belonged, to a link (`taken`): codes are never reused, so
 * a printed link cannot lead somewhere else. The first taken is named by its link.
 */
function assertCodesFree(codes: readonly (string | null)[], taken: Array<{ code: string }>) {
  const takenCodes = new Set(taken.map((row) => row.code))
  const index = codes.findIndex((code) => code !== null && takenCodes.has(code))
  if (index >= 0) throw codeTaken(codes[index]!, `links.${index}.code`)
}

/**
 * Links of a community by id, in the order they were made: the page listing what a bulk form
 * made reads them back by the ids its address carries (at most `BULK_LINKS_MAX`, all bound in one
 * statement); another community's ids find nothing.
 */
export function madeInvitesQuery(db: Database, communityId: string, ids: readonly string[]) {
  return db
    .select()
    .from(invites)
    .where(
      and(
        eq(invites.communityId, communityId),
        inArray(invites.id, ids.length > 0 ? ids.slice(0, BULK_LINKS_MAX) : ['']),
      ),
    )
    .orderBy(asc(invites.id))
}
