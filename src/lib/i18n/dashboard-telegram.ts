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
  missing: 'Fehlt',
  nothingMissing: 'nichts',
  group: 'Gruppe',
  notLinked: 'nicht verknüpft',
  connectedNotice: 'Webhook gesetzt.',
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
  missing: 'Missing',
  nothingMissing: 'nothing',
  group: 'Group',
  notLinked: 'not linked',
  connectedNotice: 'Webhook set.',
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
