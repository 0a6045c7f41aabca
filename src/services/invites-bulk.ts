import { and, eq, inArray } from 'drizzle-orm'
import type { Database } from '../db/client'
import { groups, inviteCodes, invites, type Invite } from '../db/schema'
import { chunks } from '../lib/chunks'
import { canonicalCode, customCodeProblem, newInviteCode } from '../lib/codes'
import { ApiError, isUniqueViolation } from '../lib/errors'
import { planLinksIntoChatOf } from '../platforms/telegram/links-follow'
import { codeTaken, newInvite, type CreateInviteInput } from './invites'

/**
 * Links made in one request: a campaign's channels, a team of promoters, the posters of one
 * city. Each is two rows and its share of a few statements, well inside what one request may run.
 */
export const BULK_LINKS_MAX = 50

/** D1 binds at most 100 values per statement: as many rows as fit, of a table this wide. */
const rowsPerStatement = (columns: number) => Math.floor(100 / columns)

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
  const wished = wishedCodes(inputs)
  await assertGroupsInCommunity(db, communityId, inputs)
  await assertCodesFree(db, wished)
  for (let tries = 0; ; tries++) {
    const made = inputs.map((input, index) =>
      newInvite(communityId, { ...input, code: wished[index] ?? newInviteCode() }, now),
    )
    const codes = made.map((invite) => ({ code: invite.code, inviteId: invite.id, createdAt: now }))
    const [first, ...rest] = [
      ...chunks(made, rowsPerStatement(Object.keys(made[0]!).length)).map((rows) =>
        db.insert(invites).values(rows),
      ),
      ...chunks(codes, rowsPerStatement(3)).map((rows) => db.insert(inviteCodes).values(rows)),
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
      await assertCodesFree(db, wished)
      if (tries >= 2) throw error
    }
  }
}

/** Every group named is one of this community's; the first that is not is named by its link. */
async function assertGroupsInCommunity(
  db: Database,
  communityId: string,
  inputs: readonly CreateInviteInput[],
) {
  const named = [...new Set(inputs.flatMap((input) => (input.groupId ? [input.groupId] : [])))]
  if (named.length === 0) return
  const found = new Set(
    (
      await db
        .select({ id: groups.id })
        .from(groups)
        .where(and(eq(groups.communityId, communityId), inArray(groups.id, named)))
    ).map((row) => row.id),
  )
  const index = inputs.findIndex((input) => input.groupId && !found.has(input.groupId))
  if (index >= 0) {
    throw new ApiError('validation_failed', 'That group is not in this community.', {
      errors: [{ path: `links.${index}.groupId`, message: 'Not a group of this community' }],
    })
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

/**
 * No custom code asked for belongs, or belonged, to a link: codes are never reused, so a
 * printed link cannot lead somewhere else. The first taken is named by its link.
 */
async function assertCodesFree(db: Database, codes: readonly (string | null)[]) {
  const wished = codes.filter((code) => code !== null)
  if (wished.length === 0) return
  const taken = new Set(
    (
      await db
        .select({ code: inviteCodes.code })
        .from(inviteCodes)
        .where(inArray(inviteCodes.code, wished))
    ).map((row) => row.code),
  )
  const index = codes.findIndex((code) => code !== null && taken.has(code))
  if (index >= 0) throw codeTaken(codes[index]!, `links.${index}.code`)
}
