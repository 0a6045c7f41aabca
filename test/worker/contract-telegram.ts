import { env } from 'cloudflare:workers'
import { expect } from 'vitest'
import { newId } from '../../src/lib/ids'
import type { Case, Request } from './contract-cases'
import type { World } from './contract-world'
import { eventually, query } from './helpers'
import { TELEGRAM_WEBHOOK_SECRET } from '../support/fake-telegram'
import { botStatusUpdate, newChatId, newUpdateId, postUpdate } from '../support/telegram-updates'

/**
 * The contract walk's cases for Telegram. The walk runs twice: in the worker project, where
 * Telegram is off (every Telegram operation answers 404, the webhook 401), and in the telegram
 * project, where the Bot API stand-in answers.
 */
export const telegramOn = Boolean((env as { TELEGRAM_BOT_TOKEN?: string }).TELEGRAM_BOT_TOKEN)

const TELEGRAM_OPERATIONS = [
  'connectTelegram',
  'getTelegramConnection',
  'listTelegramChats',
  'receiveTelegramUpdate',
  'listTelegramJoinRequests',
  'approveTelegramJoinRequest',
  'declineTelegramJoinRequest',
  'decideTelegramJoinRequestsInBulk',
]

/**
 * Answers the document promises that this run cannot give: with Telegram off, those that need
 * it; with it on, the 404 of "Telegram is off", and a failing Telegram behind the webhook calls
 * (the same failure is reached through `updateGroup`, whose chat id steers the stand-in). And
 * what only another delivery channel answers.
 */
export function unreachableHere(operationId: string, status: string): boolean {
  // Sent again only where WhatsApp is the channel: whatsapp/recipient-report.test.ts.
  if (operationId === 'resendAnnouncementToFailed') return status === '200'
  if (!telegramOn) {
    if (operationId === 'updateGroup') return status === '409' || status === '502'
    // The webhook refuses everything (401) before reading a body.
    if (operationId === 'receiveTelegramUpdate') return status !== '401'
    return TELEGRAM_OPERATIONS.includes(operationId) && ['200', '409', '502'].includes(status)
  }
  if (['connectTelegram', 'getTelegramConnection', 'listTelegramChats'].includes(operationId))
    return status === '404' || status === '502'
  return false
}

/** A chat the bot was added to as an administrator, its update applied. */
async function knownChat(lastDigit: 1 | 2 | 9): Promise<number> {
  const chatId = newChatId(lastDigit)
  await postUpdate(botStatusUpdate(chatId, 'administrator', { canInvite: lastDigit !== 2 }))
  await eventually(async () =>
    expect(await query('select 1 from telegram_chats where chat_id = ?', chatId)).toHaveLength(1),
  )
  return chatId
}

const owner = (): Request => ({ pathParams: {}, query: {} })

/**
 * A Telegram join request waiting in a community, as if Telegram had reported it, into a chat a
 * group of the community follows (with `room` seats left: 0 makes it full).
 */
async function waitingRequest(communityId: string, chatId: number, room = 100): Promise<string> {
  const now = Date.now()
  await env.DB.prepare(
    `insert into groups (id, community_id, kind, name, member_limit, member_count,
       telegram_chat_id, created_at, updated_at)
     values (?, ?, 'discussion', 'Walk chat', ?, ?, ?, ?6, ?6)`,
  )
    .bind(newId('grp'), communityId, Math.max(room, 1), room === 0 ? 1 : 0, chatId, now)
    .run()
  const id = newId('tjr')
  await env.DB.prepare(
    `insert into telegram_join_requests (id, community_id, chat_id, user_id, first_name,
       requested_at, status) values (?, ?, ?, ?, 'Walker', ?, 'pending')`,
  )
    .bind(id, communityId, chatId, 7_000_000_000 + Math.floor(Math.random() * 1e9) * 10 + 1, now)
    .run()
  return id
}

/** A request to join a chat whose group has no room left: as many members as its limit. */
function requestIntoFullGroup(communityId: string): Promise<string> {
  return waitingRequest(communityId, newChatId(1), 0)
}

const decideCase =
  (decision: 'approve' | 'decline') =>
  async (w: World): Promise<Case> => ({
    request: { pathParams: { id: await waitingRequest(w.closed.id, newChatId(1)) }, query: {} },
    status: telegramOn ? 200 : 404,
    probes: telegramOn
      ? [
          {
            name: 'Telegram failing',
            request: {
              pathParams: { id: await waitingRequest(w.closed.id, newChatId(9)) },
              query: {},
            },
            status: 502,
            code: 'telegram_unavailable',
          },
          ...(decision === 'approve'
            ? [
                {
                  name: 'the group full',
                  request: {
                    pathParams: { id: await requestIntoFullGroup(w.closed.id) },
                    query: {},
                  },
                  status: 409,
                  code: 'group_full',
                },
              ]
            : []),
        ]
      : [],
  })

export const TELEGRAM_CASES: Record<string, (w: World) => Promise<Case>> = {
  connectTelegram: async () => ({ request: owner(), status: telegramOn ? 200 : 404 }),
  getTelegramConnection: async () => ({ request: owner(), status: telegramOn ? 200 : 404 }),
  listTelegramChats: async () => ({
    request: { pathParams: {}, query: { limit: '10' } },
    status: telegramOn ? 200 : 404,
  }),
  listTelegramJoinRequests: async (w) => ({
    request: { pathParams: { id: w.closed.id }, query: { status: 'pending' } },
    status: telegramOn ? 200 : 404,
  }),
  approveTelegramJoinRequest: decideCase('approve'),
  declineTelegramJoinRequest: decideCase('decline'),
  decideTelegramJoinRequestsInBulk: async (w) => ({
    request: {
      pathParams: { id: w.closed.id },
      query: {},
      body: { action: 'approve', ids: [await waitingRequest(w.closed.id, newChatId(1))] },
    },
    status: telegramOn ? 200 : 404,
  }),
  receiveTelegramUpdate: async () => {
    const update = (raw: string, secret = TELEGRAM_WEBHOOK_SECRET): Request => ({
      pathParams: {},
      query: {},
      token: null,
      rawBody: raw,
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    })
    const edited = JSON.stringify({ update_id: newUpdateId(), edited_channel_post: {} })
    return {
      request: update(edited),
      status: telegramOn ? 200 : 401,
      probes: [
        {
          name: 'a wrong secret token',
          request: update(edited, 'not-the-secret-token'),
          status: 401,
          code: 'unauthorized',
        },
        ...(telegramOn
          ? [
              { name: 'not JSON', request: update('{'), status: 400, code: 'malformed_json' },
              {
                name: 'larger than 256 KiB',
                request: update(JSON.stringify({ padding: 'x'.repeat(300 * 1024) })),
                status: 413,
                code: 'payload_too_large',
              },
            ]
          : []),
      ],
    }
  },
}

/** `updateGroup`'s Telegram answers: each way linking a chat can be refused. */
export async function telegramLinkProbes(w: World): Promise<NonNullable<Case['probes']>> {
  const link = (chatId: number): Request => ({
    pathParams: { id: w.group.id },
    query: {},
    body: { telegramChatId: chatId },
  })
  if (!telegramOn) {
    return [{ name: 'Telegram off', request: link(-1001), status: 400, code: 'validation_failed' }]
  }
  return [
    {
      name: 'a chat the bot is not in',
      request: link(newChatId(1)),
      status: 409,
      code: 'telegram_chat_not_administered',
    },
    {
      name: 'a chat where the bot may not invite',
      request: link(await knownChat(2)),
      status: 409,
      code: 'telegram_rights_missing',
    },
    {
      name: 'Telegram failing',
      request: link(await knownChat(9)),
      status: 502,
      code: 'telegram_unavailable',
    },
  ]
}
