/**
 * The limits of the community model (after WhatsApp Communities). Communities and groups may set
 * lower ones; these are the ceilings, and the database's CHECK constraints hold the same numbers.
 */
export const MAX_GROUPS_PER_COMMUNITY = 50
export const DISCUSSION_GROUP_MEMBER_LIMIT = 1024
export const ANNOUNCEMENT_GROUP_MEMBER_LIMIT = 2000
export const MAX_JOIN_QUESTIONS = 5
/** The longest text an announcement has, in characters: WhatsApp's and Telegram's own limit. */
export const ANNOUNCEMENT_TEXT_MAX = 4096

export function maxMemberLimit(kind: 'announcement' | 'discussion'): number {
  return kind === 'announcement' ? ANNOUNCEMENT_GROUP_MEMBER_LIMIT : DISCUSSION_GROUP_MEMBER_LIMIT
}

/**
 * The name a community's announcement group is made with. Pages for people show it in their
 * language; a name an admin gave the group instead is shown as given.
 */
export const ANNOUNCEMENT_GROUP_NAME = 'Announcements'
