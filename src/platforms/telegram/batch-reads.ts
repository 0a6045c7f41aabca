import type { Database } from '../../db/client'
import { chunks, ID_CHUNK } from '../../lib/chunks'
import type { TelegramUpdateItem } from './updates'
import type { ChatGroup } from './members'

/** One of our Telegram links, as a join or a join request through it is credited to it. */
export interface ChatLink {
  chatId: number
  inviteId: string
  communityId: string
  referrerMemberId: string | null
  /** 1 when Telegram made it to ask for join requests (a closed community's), else 0. */
  createsJoinRequest: 0 | 1
}

const LINKS_OF_URLS = (params: string) =>
  `select l.url, l.chat_id as chatId, l.invite_id as inviteId, i.community_id as communityId,
     i.referrer_member_id as referrerMemberId, l.creates_join_request as createsJoinRequest
   from telegram_invite_links l join invites i on i.id = l.invite_id
   where l.url in (${params})`

const GROUPS_OF_CHATS = (params: string) =>
  `select g.telegram_chat_id as chatId, g.id as groupId, g.community_id as communityId,
     a.id as announcementGroupId, c.visibility = 'closed' as closed
   from groups g join communities c on c.id = g.community_id
     join groups a on a.community_id = g.community_id and a.kind = 'announcement'
   where g.telegram_chat_id in (${params})`

const APPLIED_OF_IDS = (params: string) =>
  `select update_id from telegram_updates where update_id in (${params})`

/**
 * What the updates of one batch read before they are applied, read for the whole batch in one
 * round trip (`readAhead`): which of them were applied already, the links their joins and join
 * requests came through, and the groups that follow their chats. A crowd joining through one
 * link then costs one write batch per person instead of three round trips.
 *
 * Only what was found is kept: a link or group not found ahead (or not read ahead at all, for an
 * update applied on its own) is read again when asked for, so a chat linked to a group while
 * the batch runs is followed from the next update on, as it was when each update read its own.
 * What was found is not changed by applying an update (links and groups change through the API
 * and the cron job); a chat an admin unlinks during the batch stops its joins and join requests
 * in the statements that write them, which check the group still follows it. `applied` only
 * spares the work of a copy: the effects' own condition stops one recorded since.
 */
export class BatchReads {
  constructor(
    private readonly client: D1Database,
    /** Update ids recorded as applied; the consumer adds the ones the batch applies. */
    readonly applied = new Set<number>(),
    private readonly links = new Map<string, ChatLink>(),
    private readonly groups = new Map<number, ChatGroup>(),
  ) {}

  /** Our link with this URL, or null: the URL of a link we did not make. */
  async link(url: string): Promise<ChatLink | null> {
    const known = this.links.get(url)
    if (known) return known
    const row = await this.client
      .prepare(LINKS_OF_URLS('?1'))
      .bind(url)
      .first<ChatLink & { url: string }>()
    return row && withoutUrl(row)
  }

  /** The group that follows this chat, or null: a chat none of ours follows. */
  async group(chatId: number): Promise<ChatGroup | null> {
    const known = this.groups.get(chatId)
    if (known) return known
    const row = await this.client
      .prepare(GROUPS_OF_CHATS('?1'))
      .bind(chatId)
      .first<ChatGroup & { chatId: number }>()
    return row && withoutChatId(row)
  }
}

/** Reads what the batch's updates will ask for (`BatchReads`), in one D1 batch. */
export async function readAhead(
  db: Database,
  items: readonly TelegramUpdateItem[],
): Promise<BatchReads> {
  const ids = new Set<number>()
  const urls = new Set<string>()
  const chats = new Set<number>()
  for (const item of items) {
    ids.add(item.updateId)
    if (item.kind === 'chat_member' || item.kind === 'chat_join_request') {
      chats.add(item.update.chat.id)
      if (item.update.invite_link) urls.add(item.update.invite_link.invite_link)
    }
  }
  const client = db.$client
  const statements: D1PreparedStatement[] = []
  const readers: Array<(rows: unknown[]) => void> = []
  const read = <Row, Key>(
    keys: Set<Key>,
    sql: (params: string) => string,
    take: (row: Row) => void,
  ) => {
    for (const chunk of chunks([...keys], ID_CHUNK)) {
      statements.push(
        client.prepare(sql(chunk.map((_, i) => `?${i + 1}`).join(', '))).bind(...chunk),
      )
      readers.push((rows) => rows.forEach((row) => take(row as Row)))
    }
  }
  const applied = new Set<number>()
  const links = new Map<string, ChatLink>()
  const groups = new Map<number, ChatGroup>()
  read<{ update_id: number }, number>(ids, APPLIED_OF_IDS, (row) => applied.add(row.update_id))
  read<ChatLink & { url: string }, string>(urls, LINKS_OF_URLS, (row) =>
    links.set(row.url, withoutUrl(row)),
  )
  read<ChatGroup & { chatId: number }, number>(chats, GROUPS_OF_CHATS, (row) =>
    groups.set(row.chatId, withoutChatId(row)),
  )
  if (statements.length > 0) {
    const results = await client.batch(statements)
    results.forEach((result, i) => readers[i]!(result.results))
  }
  return new BatchReads(client, applied, links, groups)
}

function withoutUrl({ url: _url, ...link }: ChatLink & { url: string }): ChatLink {
  return link
}

function withoutChatId({ chatId: _chatId, ...group }: ChatGroup & { chatId: number }): ChatGroup {
  return group
}
