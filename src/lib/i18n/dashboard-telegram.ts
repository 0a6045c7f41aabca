import type { Lang } from './index'

/** The dashboard's Telegram page, in German and English. */
const de = {
  title: 'Telegram',
  intro:
    'Auf Telegram sieht der Bot selbst, wer über welchen Link beitritt, wer beitreten möchte und wer geht: Diese Zahlen sind beobachtet, nicht aus unseren Formularen geschlossen.',
  webhook: 'Webhook',
  connected: 'Verbunden: Telegram schickt die Updates an diesen Worker.',
  notConnected: 'Nicht verbunden: Telegram schickt die Updates nicht hierher.',
  connect: 'Telegram verbinden',
  lastError: 'Letzter Fehler bei Telegram',
  noError: 'Telegram meldet keinen Zustellfehler.',
  unreachable: 'Telegram ist gerade nicht erreichbar:',
  chats: 'Chats des Bots',
  noChats:
    'Noch keine Chats. Füge den Bot in Telegram einer Gruppe oder einem Kanal als Administrator hinzu.',
  chat: 'Chat',
  botStatus: 'Bot',
  /** The bot's standing in a chat (Telegram's `ChatMember.status`), in words. */
  botStatuses: {
    creator: 'Eigentümer',
    administrator: 'Administrator',
    member: 'Mitglied ohne Adminrechte',
    restricted: 'eingeschränkt',
    left: 'nicht mehr im Chat',
    kicked: 'entfernt',
  },
  missing: 'Fehlt',
  nothingMissing: 'nichts',
  group: 'Gruppe',
  notLinked: 'nicht verknüpft',
  connectedNotice: 'Webhook gesetzt.',
  link: 'Verknüpfen',
  linked: 'Gruppe mit dem Chat verknüpft.',
  refused: {
    telegram_chat_not_administered:
      'Der Bot ist in diesem Chat kein Administrator. Mach ihn in Telegram zum Administrator.',
    telegram_rights_missing:
      'Dem Bot fehlt hier das Recht „Nutzer per Link einladen“. Gib es ihm in den Admin-Einstellungen des Chats.',
    telegram_chat_taken:
      'Dieser Chat ist schon mit einer anderen Gruppe verknüpft. Löse die Verknüpfung dort zuerst.',
    telegram_unavailable: 'Telegram ist gerade nicht erreichbar. Versuch es gleich noch einmal.',
  } as Record<string, string>,
}

const en: typeof de = {
  title: 'Telegram',
  intro:
    'On Telegram the bot itself sees who joins through which link, who asks to join and who leaves: these figures are observed, not inferred from our forms.',
  webhook: 'Webhook',
  connected: 'Connected: Telegram sends the updates to this Worker.',
  notConnected: 'Not connected: Telegram does not send the updates here.',
  connect: 'Connect Telegram',
  lastError: 'Telegram’s last error',
  noError: 'Telegram reports no delivery error.',
  unreachable: 'Telegram cannot be reached right now:',
  chats: 'The bot’s chats',
  noChats: 'No chats yet. In Telegram, add the bot to a group or channel as an administrator.',
  chat: 'Chat',
  botStatus: 'Bot',
  botStatuses: {
    creator: 'owner',
    administrator: 'administrator',
    member: 'member without admin rights',
    restricted: 'restricted',
    left: 'not in the chat any more',
    kicked: 'removed',
  },
  missing: 'Missing',
  nothingMissing: 'nothing',
  group: 'Group',
  notLinked: 'not linked',
  connectedNotice: 'Webhook set.',
  link: 'Link',
  linked: 'Group linked to the chat.',
  refused: {
    telegram_chat_not_administered:
      'The bot is not an administrator of this chat. Make it one in Telegram.',
    telegram_rights_missing:
      'The bot may not invite users here. Give it “Invite users via link” in the chat’s admin settings.',
    telegram_chat_taken: 'This chat is linked to another group. Unlink it there first.',
    telegram_unavailable: 'Telegram cannot be reached right now. Try again in a moment.',
  } as Record<string, string>,
}

export function telegramWords(lang: Lang): typeof de {
  return lang === 'de' ? de : en
}

/** What the bot still needs in a chat, in words an admin acts on. */
export const MISSING_IN_WORDS = {
  de: {
    administrator: 'Administrator des Chats sein',
    invite_users: 'Nutzer per Link einladen (genehmigt auch Beitrittsanfragen)',
    post_messages: 'Nachrichten senden (für Ankündigungen)',
  },
  en: {
    administrator: 'be an administrator of the chat',
    invite_users: 'invite users via link (also approves join requests)',
    post_messages: 'post messages (for announcements)',
  },
} as const
