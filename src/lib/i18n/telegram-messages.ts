import type { Lang } from './index'

/**
 * What the bot writes to a person in its private chat (the answers to `/start` and `/stop`), in
 * the language their Telegram app is set to: German for `de`, English otherwise.
 */
const BOT_REPLIES = {
  de: {
    startedForMember: (name: string, community: string) =>
      `Hallo ${name}! Du bekommst hier ab jetzt Nachrichten von ${community}. Mit /stop meldest du dich jederzeit ab.`,
    started:
      'Hallo! Du bekommst hier ab jetzt unsere Nachrichten. Mit /stop meldest du dich jederzeit ab.',
    stopped: 'Du bekommst von uns keine Nachrichten mehr. Mit /start meldest du dich wieder an.',
    startedUnknown:
      'Hallo! Wir wissen noch nicht, zu welcher Community du gehörst. Öffne den Telegram-Link auf deiner Statusseite (er trägt deinen persönlichen Code), dann bekommst du ihre Nachrichten hier. Mit /stop meldest du dich jederzeit ab.',
    startedChatMember: (community: string) =>
      `Hallo! Du bist über Telegram in den Chat von ${community} gekommen. Nachrichten hier im privaten Chat bekommt nur, wer sich über das Formular der Community angemeldet hat: Hier schicken wir dir deshalb nichts.`,
  },
  en: {
    startedForMember: (name: string, community: string) =>
      `Hi ${name}! From now on you get messages from ${community} here. Send /stop at any time to stop them.`,
    started: 'Hi! From now on you get our messages here. Send /stop at any time to stop them.',
    stopped: 'You will get no more messages from us. Send /start to get them again.',
    startedUnknown:
      'Hi! We do not know yet which community you belong to. Open the Telegram link on your status page (it carries your personal code) to get its messages here. Send /stop at any time.',
    startedChatMember: (community: string) =>
      `Hi! You joined the chat of ${community} through Telegram. Messages here in a private chat go only to people who signed up through the community’s form, so we send you nothing here.`,
  },
}

export type BotReplies = (typeof BOT_REPLIES)['en']

/** The replies in the person's language (Telegram's `language_code`, such as `de` or `de-AT`). */
export function botReplies(languageCode: string | undefined): BotReplies {
  return languageCode?.toLowerCase().startsWith('de') ? BOT_REPLIES.de : BOT_REPLIES.en
}

/** The dashboard's words for Telegram posts and requests, beside the pages' own dictionaries. */
const de = {
  posts: 'In Telegram gepostet',
  postsIntro:
    'Eine Nachricht pro Lauf in jeden mit Telegram verknüpften Chat der Zielgruppe (der ganze Chat sieht sie) und in den Privatchat jedes Mitglieds, das den Bot gestartet hat. Telegram meldet nicht, wer sie gelesen hat, darum zählen sie bei den Empfängern unten nicht mit.',
  onlyPosted:
    'Keine Empfänger zu zählen: Diese Ankündigung geht nur an Telegram (oben), und Telegram meldet nicht, wer sie bekommen oder gelesen hat.',
  chat: 'Chat',
  messageId: 'Nachrichten-ID',
  status: 'Stand',
  when: 'Gepostet',
  postStatuses: {
    queued: 'wartet',
    sending: 'wird gesendet',
    sent: 'gepostet',
    failed: 'abgelehnt',
    skipped: 'nicht gesendet',
    unknown: 'Ausgang unbekannt',
  },
  privateChat: (name: string) => `Privatchat mit ${name}`,
  waitsUntil: (time: string) => `wartet bis ${time}`,
  postedToChats: (count: string) => `und ${count}× in Telegram-Chats gepostet`,
  reasons: {
    'the bot is not in the chat any more (removed or blocked)':
      'Der Bot ist nicht mehr im Chat (entfernt oder blockiert).',
    'the bot may not post in this chat (give it the right to post messages)':
      'Der Bot darf in diesem Chat nicht schreiben (gib ihm das Recht, Nachrichten zu senden).',
    'Telegram does not know this chat any more': 'Telegram kennt diesen Chat nicht mehr.',
    'the group became a supergroup: link the group to the new chat':
      'Die Gruppe wurde zur Supergruppe: Verknüpfe die Gruppe mit dem neuen Chat.',
    'no answer from Telegram: outcome unknown':
      'Keine Antwort von Telegram: Ob sie angekommen ist, ist unbekannt.',
    'outcome unknown: the attempt was interrupted after it may have been sent':
      'Der Versuch wurde unterbrochen, nachdem sie vielleicht schon gesendet war: Ausgang unbekannt.',
    'Telegram is not configured (TELEGRAM_BOT_TOKEN)':
      'Telegram ist nicht eingerichtet (TELEGRAM_BOT_TOKEN).',
    'run cancelled': 'Lauf abgebrochen.',
    'member left': 'Das Mitglied ist ausgetreten.',
    'stopped: the member sent /stop to the bot': 'Das Mitglied hat dem Bot /stop geschrieben.',
    'announcement deleted': 'Ankündigung gelöscht.',
  } as Record<string, string>,
  otherReason: 'Telegram hat sie nicht angenommen oder war nicht erreichbar',
  fromTelegram: 'über Telegram',
  telegramRequests: 'Beitrittsanfragen über Telegram',
  telegramRequestsIntro:
    'Diese Menschen haben in Telegram gefragt, ob sie dem Chat beitreten dürfen. Annehmen lässt sie in Telegram in den Chat; Telegram selbst sagt, ob es die Anfrage noch gibt.',
  username: 'Benutzername',
  language: 'Sprache',
  bio: 'Über mich',
  name: 'Name',
  requestedAt: 'Gefragt',
  approve: 'Annehmen',
  decline: 'Ablehnen',
  approveSelected: 'Ausgewählte annehmen',
  declineSelected: 'Ausgewählte ablehnen',
  select: 'Auswählen',
  selectAll: 'Alle auswählen',
  noTelegramRequests: 'Keine offenen Anfragen über Telegram.',
  requestStatuses: {
    pending: 'offen',
    approved: 'angenommen',
    declined: 'abgelehnt',
    gone: 'nicht mehr da',
  },
  goneReasons: {
    'Already in the chat': 'Schon im Chat.',
    'Telegram no longer has this request (withdrawn, expired or decided in the chat)':
      'Telegram hat diese Anfrage nicht mehr (zurückgezogen, abgelaufen oder im Chat entschieden).',
    'Asked again since: the newer request waits':
      'Seitdem erneut gefragt: Die neuere Anfrage wartet.',
  } as Record<string, string>,
  decidedNotice: (approved: number, declined: number, gone: number, open: number, full = 0) =>
    tally('Telegram-Anfragen', 'Nichts wurde entschieden.', [
      [approved, 'angenommen'],
      [declined, 'abgelehnt'],
      [gone, 'nicht mehr da'],
      [open, 'noch offen (Telegram bittet zu warten)'],
      [full, 'nicht eingelassen: die Gruppe ist voll'],
    ]),
  telegramUnavailable:
    'Telegram ist gerade nicht erreichbar. Wo Telegrams Antwort auf eine Freigabe ausblieb, zeigt sich in wenigen Minuten, ob die Person hineingelassen wurde; sonst wartet die Anfrage wieder.',
  telegramLinkPending: 'Telegram-Link ausstehend',
  telegramLinkPendingHint:
    'Telegram hat den Einladungslink für den Chat noch nicht erstellt; der Cron-Job versucht es erneut.',
  telegramWaiting: (count: string) => `${count} über Telegram`,
}

const en: typeof de = {
  posts: 'Posted to Telegram',
  postsIntro:
    'One message per run to each Telegram-linked chat of the audience (the whole chat sees it), and to the private chat of each member who started the bot. Telegram does not report who read them, so they are not counted among the recipients below.',
  onlyPosted:
    'No recipients to count: this announcement goes to Telegram only (above), and Telegram does not report who got or read it.',
  chat: 'Chat',
  messageId: 'Message id',
  status: 'Status',
  when: 'Posted',
  postStatuses: {
    queued: 'waiting',
    sending: 'sending',
    sent: 'posted',
    failed: 'refused',
    skipped: 'not sent',
    unknown: 'outcome unknown',
  },
  privateChat: (name: string) => `Private chat with ${name}`,
  waitsUntil: (time: string) => `waits until ${time}`,
  postedToChats: (count: string) =>
    `and ${count} ${count === '1' ? 'post' : 'posts'} to Telegram chats`,
  reasons: {
    'the bot is not in the chat any more (removed or blocked)':
      'The bot is not in the chat any more (removed or blocked).',
    'the bot may not post in this chat (give it the right to post messages)':
      'The bot may not post in this chat (give it the right to post messages).',
    'Telegram does not know this chat any more': 'Telegram does not know this chat any more.',
    'the group became a supergroup: link the group to the new chat':
      'The group became a supergroup: link the group to the new chat.',
    'no answer from Telegram: outcome unknown':
      'No answer from Telegram: whether it arrived is unknown.',
    'outcome unknown: the attempt was interrupted after it may have been sent':
      'The attempt was interrupted after it may have been sent: outcome unknown.',
    'Telegram is not configured (TELEGRAM_BOT_TOKEN)':
      'Telegram is not configured (TELEGRAM_BOT_TOKEN).',
    'run cancelled': 'Run cancelled.',
    'member left': 'The member left.',
    'stopped: the member sent /stop to the bot': 'The member sent /stop to the bot.',
    'announcement deleted': 'Announcement deleted.',
  },
  otherReason: 'Telegram did not take it or could not be reached',
  fromTelegram: 'from Telegram',
  telegramRequests: 'Join requests from Telegram',
  telegramRequestsIntro:
    'These people asked in Telegram to join the chat. Approving lets them into the chat in Telegram; Telegram itself says whether the request is still there.',
  username: 'Username',
  language: 'Language',
  bio: 'Bio',
  name: 'Name',
  requestedAt: 'Asked',
  approve: 'Approve',
  // As the sign-ups' buttons above them say it: one act, one word on the page.
  decline: 'Reject',
  approveSelected: 'Approve selected',
  declineSelected: 'Reject selected',
  select: 'Select',
  selectAll: 'Select all',
  noTelegramRequests: 'No open requests from Telegram.',
  requestStatuses: {
    pending: 'pending',
    approved: 'approved',
    declined: 'rejected',
    gone: 'gone',
  },
  goneReasons: {
    'Already in the chat': 'Already in the chat.',
    'Telegram no longer has this request (withdrawn, expired or decided in the chat)':
      'Telegram no longer has this request (withdrawn, expired or decided in the chat).',
    'Asked again since: the newer request waits': 'Asked again since: the newer request waits.',
  },
  decidedNotice: (approved: number, declined: number, gone: number, open: number, full = 0) =>
    tally('Telegram requests', 'Nothing was decided.', [
      [approved, 'approved'],
      [declined, 'rejected'],
      [gone, 'no longer waiting'],
      [open, 'still open (Telegram asks us to wait)'],
      [full, 'not let in: the group is full'],
    ]),
  telegramUnavailable:
    'Telegram cannot be reached right now. Where Telegram’s answer to an approval was lost, whether the person was let in shows within minutes; otherwise the request waits again.',
  telegramLinkPending: 'Telegram link pending',
  telegramLinkPendingHint:
    'Telegram has not made the chat’s invite link yet; the cron job tries again.',
  telegramWaiting: (count: string) => `${count} from Telegram`,
}

export const TELEGRAM_DASHBOARD_WORDS = { de, en }

export function telegramDashboardWords(lang: Lang): typeof de {
  return lang === 'de' ? de : en
}

/** "Telegram requests: 2 approved, 1 declined.": the outcomes that happened, none that did not. */
function tally(what: string, nothing: string, counts: Array<[number, string]>): string {
  const happened = counts.filter(([count]) => count > 0)
  if (happened.length === 0) return nothing
  return `${what}: ${happened.map(([count, outcome]) => `${count} ${outcome}`).join(', ')}.`
}
