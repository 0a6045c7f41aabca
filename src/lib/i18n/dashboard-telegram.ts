import type { Lang } from './index'

/** A visit's own dimensions, which Telegram's figures cannot be broken down by. */
type VisitDimension = 'country' | 'device' | 'referrer' | 'via'

/** The dashboard's Telegram page, in German and English. */
const de = {
  title: 'Telegram',
  intro:
    'Auf Telegram sieht der Bot selbst, wer über welchen Link beitritt, wer beitreten möchte und wer geht: Diese Zahlen sind beobachtet, nicht aus unseren Formularen geschlossen.',
  webhook: 'Webhook',
  connected: 'Verbunden: Telegram schickt die Updates an diesen Worker.',
  notConnected: 'Nicht verbunden: Telegram schickt die Updates nicht hierher.',
  connect: 'Telegram verbinden',
  reconnect: 'Erneut verbinden',
  lastError: 'Letzter Fehler bei Telegram',
  noError: 'Telegram meldet keinen Zustellfehler.',
  unreachable: 'Telegram ist gerade nicht erreichbar:',
  chats: 'Chats des Bots',
  noChats:
    'Noch keine Chats. Füge den Bot in Telegram einer Gruppe oder einem Kanal als Administrator hinzu.',
  /** Telegram's own links that add the bot as an administrator with the rights it needs. */
  addBot: (bot: string) => `@${bot} als Administrator hinzufügen:`,
  addToGroup: 'zu einer Gruppe',
  addToChannel: 'zu einem Kanal',
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
  relink: 'Verknüpfung ändern',
  linked: 'Gruppe mit dem Chat verknüpft.',
  unlink: 'Verknüpfung lösen',
  unlinked: 'Verknüpfung gelöst: Die Gruppe folgt jetzt keinem Telegram-Chat.',
  confirmLink: (chat: string) =>
    `„${chat}“ mit der gewählten Gruppe verknüpfen? Die Gruppe ist dann auf Telegram: Ihre Links führen in diesen Chat statt zu WhatsApp oder in einen Chat, mit dem sie vorher verknüpft war. Eine bisher mit diesem Chat verknüpfte Gruppe wird gelöst, und Beitrittsanfragen an einen Chat, den die Änderung verlässt, enden.`,
  confirmUnlink: (chat: string) =>
    `Verknüpfung mit „${chat}“ lösen? Die Links der Gruppe führen dann nicht mehr hinein (ihre Telegram-Einladungslinks werden widerrufen), und wartende Beitrittsanfragen an den Chat enden. Mitglieder und Zahlen bleiben.`,
  /** Beside a group in the picker: what linking it would change. */
  hasWhatsAppChat: 'hat einen WhatsApp-Chat',
  linkedToOtherChat: 'mit einem anderen Chat verknüpft',
  refused: {
    telegram_chat_not_administered:
      'Der Bot ist in diesem Chat kein Administrator. Mach ihn in Telegram zum Administrator.',
    telegram_rights_missing:
      'Dem Bot fehlt hier das Recht „Nutzer per Link einladen“. Gib es ihm in den Admin-Einstellungen des Chats.',
    telegram_chat_taken:
      'Dieser Chat wurde eben mit einer anderen Gruppe verknüpft. Lade die Seite neu und wähle noch einmal.',
    telegram_unavailable: 'Telegram ist gerade nicht erreichbar. Versuch es gleich noch einmal.',
  } as Record<string, string>,
  seenByTelegram: 'Von Telegram gesehen',
  seenNote:
    'Beitritte und Austritte, die Telegram selbst über diese Links gemeldet hat, und wer danach noch im Chat war: beobachtet, nicht aus unseren Formularen geschlossen.',
  joinedSeen: 'Beigetreten (von Telegram gesehen)',
  leftSeen: 'Ausgetreten oder entfernt (von Telegram gesehen)',
  stayed7Seen: 'Nach 7 Tagen noch im Chat (von Telegram gesehen)',
  stayed30Seen: 'Nach 30 Tagen noch im Chat (von Telegram gesehen)',
  /** Where Telegram counts a link's joins, the funnel's steps from the join on (`funnelSteps`). */
  sentOnStep: 'Von unserem Formular zum Chat geschickt',
  requestsPastTheFormNote:
    'Nur wer unser Formular benutzt hat: Auf der Seite eines Links in einen Telegram-Chat führt der Button direkt zu Telegram, am Formular vorbei. Darum kein Anteil an den Besuchen.',
  joinedVerified: 'Beigetreten (von Telegram verifiziert)',
  joinedVerifiedNote:
    'Gezählt von Telegram selbst: jeder Beitritt über den Telegram-Einladungslink, auch ein erneuter – wer austritt und wieder beitritt, zählt zweimal. Wer sich über unser Formular angemeldet hat und dann beigetreten ist, zählt mit seiner Anmeldung in den Schritten davor und mit seinem Beitritt hier; die beiden werden nie addiert. Wer den Telegram-Link weitergeleitet bekommt, tritt ohne Besuch unserer Seite bei: Es kann mehr Beitritte als Besuche geben.',
  joinedBothNote: (verified: string, inferred: string) =>
    `${verified} von Telegram verifiziert (Links in Telegram-Chats), ${inferred} von unserem Formular zu WhatsApp geschickt (erschlossen). Anmeldungen über unser Formular in Telegram-Chats zählen nur im Schritt davor.`,
  stayed7Verified: 'Nach 7 Tagen noch im Chat (von Telegram verifiziert)',
  stayed30Verified: 'Nach 30 Tagen noch im Chat (von Telegram verifiziert)',
  leftVerified: 'Ausgetreten oder entfernt (von Telegram verifiziert)',
  /** Under the leaves where Telegram counts them: on the day of the leave, not per join. */
  leftOnTheDayNote:
    'Gezählt am Tag des Austritts, wann immer die Person beigetreten ist: kein Anteil an den Beitritten dieses Zeitraums. Wie viele der Beigetretenen blieben, zeigen die Schritte „nach 7 / 30 Tagen“.',
  /** The joins chart's part of the joins that our form sent on to WhatsApp. */
  joinedWhatsApp: 'Beigetreten (von unserem Formular zu WhatsApp geschickt)',
  /** A visit's own dimensions in a sentence ("nach Land und Gerät"). */
  visitDimensions: {
    country: 'Land',
    device: 'Gerät',
    referrer: 'verweisender Seite',
    via: 'Zugang',
  } as Record<VisitDimension, string>,
  and: 'und',
  notFilteredStepNote: (dimensions: string) =>
    `Mit dem Filter nach ${dimensions} endet der Trichter hier: Telegram meldet einen Beitritt nur mit seinem Link, daher lassen sich die von Telegram verifizierten Beitritte nicht nach ${dimensions} aufschlüsseln. „Von Telegram gesehen“ zeigt sie für diese Links ohne diesen Filter.`,
  seenNotFilteredNote: (dimensions: string) =>
    `Nicht nach ${dimensions} aufgeschlüsselt: alles, was Telegram über diese Links gesehen hat, ohne den Filter nach ${dimensions}.`,
  notFilteredTitle: (dimensions: string) => `nicht nach ${dimensions} aufschlüsselbar`,
  linksNotFilteredNote: (dimensions: string) =>
    `–: Beitritte, Konversion und Bindung eines Links in einen Telegram-Chat zählt Telegram, und die lassen sich nicht nach ${dimensions} aufschlüsseln; ohne diesen Filter zeigt die Tabelle sie.`,
  /** A conversion over 100 % (joins through a forwarded Telegram link, without a visit). */
  aboveVisitsMark: '*',
  aboveVisitsTitle: 'mehr Beitritte als Besucher',
  aboveVisitsNote:
    '* Mehr Beitritte als Besucher: Menschen sind über den Telegram-Einladungslink beigetreten, ohne vorher unsere Seite zu besuchen (ein weitergeleiteter oder geteilter t.me-Link). Die Konversion liegt darum über 100 %, oder es gibt sie ohne Besucher nicht (–).',
  /** Beside a figure Telegram counted, in the links table and on the home page. */
  verifiedTag: '✓ Telegram',
  verifiedTagTitle: 'von Telegram verifiziert',
  ofWhichVerified: (n: string) => `davon ${n} ✓ Telegram`,
  linksVerifiedNote:
    '✓ Telegram: Beitritte, Konversion und Bindung dieses Links, wie Telegram selbst sie gemeldet hat (verifiziert), nicht die Anmeldungen über unser Formular.',
  homeVerifiedNote:
    '✓ Telegram: Beitritte, die Telegram selbst über die Links der Community in ihre Telegram-Chats gemeldet hat (verifiziert), nicht die Anmeldungen über unser Formular.',
  /** The compare page, where entries counted by Telegram and by our form stand side by side. */
  compareVerifiedNote:
    '✓ Telegram: Beitritte, Bindung und Austritte, wie Telegram selbst sie über die Links in seine Chats gemeldet hat (verifiziert); ohne das Zeichen: wen unser Formular zum Chat geschickt hat.',
  compareNotFilteredNote: (dimensions: string) =>
    `–: Mit dem Filter nach ${dimensions} endet der Trichter eines Links in einen Telegram-Chat beim Schritt „Von unserem Formular zum Chat geschickt“: Telegram meldet einen Beitritt nur mit seinem Link, daher lassen sich die verifizierten Beitritte nicht nach ${dimensions} aufschlüsseln. Ohne diesen Filter zeigt der Vergleich sie.`,
  /** Above the breakdowns where their source and campaign count each link's joins. */
  breakdownsCountedNote:
    'Quelle und Kampagne zählen Beitritte, Bindung und Austritte Link für Link wie der Trichter: bei Links in Telegram-Chats, was Telegram verifiziert hat (✓ Telegram), sonst, was unser Formular zum Chat geschickt hat. Land, Gerät, verweisende Seite und Zugang zählen, was unser Formular zum Chat geschickt hat: Telegram meldet einen Beitritt nur mit seinem Link und kann seine Beitritte nicht danach aufschlüsseln.',
  /** Above the breakdowns under a filter on a visit's dimension: all of them our form's. */
  breakdownsFormNote:
    'Diese Tabellen zählen, was unser Formular sah: Telegram meldet einen Beitritt nur mit seinem Link und kann seine Beitritte nicht nach Land, Gerät, verweisender Seite oder Zugang aufschlüsseln.',
  telegramLink: 'Telegram-Link',
  linkPending: 'ausstehend (Telegram hat ihn noch nicht erstellt; der Cron-Job versucht es erneut)',
  linkFailed:
    'Telegram verweigert den Link. Prüfe die Rechte des Bots im Chat oder verknüpfe die Gruppe neu.',
  /** The links table's column of each link's Telegram invite link. */
  linksColumn: 'Telegram',
  linkRefused: 'Von Telegram verweigert',
}

const en: typeof de = {
  title: 'Telegram',
  intro:
    'On Telegram the bot itself sees who joins through which link, who asks to join and who leaves: these figures are observed, not inferred from our forms.',
  webhook: 'Webhook',
  connected: 'Connected: Telegram sends the updates to this Worker.',
  notConnected: 'Not connected: Telegram does not send the updates here.',
  connect: 'Connect Telegram',
  reconnect: 'Connect again',
  lastError: 'Telegram’s last error',
  noError: 'Telegram reports no delivery error.',
  unreachable: 'Telegram cannot be reached right now:',
  chats: 'The bot’s chats',
  noChats: 'No chats yet. In Telegram, add the bot to a group or channel as an administrator.',
  addBot: (bot: string) => `Add @${bot} as an administrator:`,
  addToGroup: 'to a group',
  addToChannel: 'to a channel',
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
  relink: 'Change link',
  linked: 'Group linked to the chat.',
  unlink: 'Unlink',
  unlinked: 'Unlinked: the group follows no Telegram chat now.',
  confirmLink: (chat: string) =>
    `Link “${chat}” to the group you picked? The group is then on Telegram: its links lead into this chat instead of to WhatsApp or to a chat it was linked to before. A group linked to this chat before is unlinked, and requests waiting to join a chat the change leaves end.`,
  confirmUnlink: (chat: string) =>
    `Unlink “${chat}”? The group’s links then stop leading into it (their Telegram invite links are revoked), and requests waiting to join it end. Members and counts stay.`,
  hasWhatsAppChat: 'has a WhatsApp chat',
  linkedToOtherChat: 'linked to another chat',
  refused: {
    telegram_chat_not_administered:
      'The bot is not an administrator of this chat. Make it one in Telegram.',
    telegram_rights_missing:
      'The bot may not invite users here. Give it “Invite users via link” in the chat’s admin settings.',
    telegram_chat_taken:
      'This chat was just linked to another group. Reload the page and pick again.',
    telegram_unavailable: 'Telegram cannot be reached right now. Try again in a moment.',
  } as Record<string, string>,
  seenByTelegram: 'Seen by Telegram',
  seenNote:
    'Joins and leaves Telegram itself reported through these links, and who was still in the chat afterwards: observed, not inferred from our forms.',
  joinedSeen: 'Joined (seen by Telegram)',
  leftSeen: 'Left or removed (seen by Telegram)',
  stayed7Seen: 'Still in the chat after 7 days (seen by Telegram)',
  stayed30Seen: 'Still in the chat after 30 days (seen by Telegram)',
  sentOnStep: 'Sent on to the chat by our form',
  requestsPastTheFormNote:
    'Only those who used our form: on the page of a link into a Telegram chat, the button leads straight to Telegram, past the form. So no share of the visits.',
  joinedVerified: 'Joined (verified by Telegram)',
  joinedVerifiedNote:
    'Counted by Telegram itself: each join through the Telegram invite link, a rejoin too – someone who leaves and joins again counts twice. Someone who signed up through our form and then joined counts with their sign-up in the steps before and with their join here; the two are never added up. Whoever is forwarded the Telegram link joins without visiting our page: there can be more joins than visits.',
  joinedBothNote: (verified: string, inferred: string) =>
    `${verified} verified by Telegram (links into Telegram chats), ${inferred} sent on to WhatsApp by our form (inferred). Sign-ups through our form into Telegram chats count only in the step before.`,
  stayed7Verified: 'Still in the chat after 7 days (verified by Telegram)',
  stayed30Verified: 'Still in the chat after 30 days (verified by Telegram)',
  leftVerified: 'Left or removed (verified by Telegram)',
  leftOnTheDayNote:
    'Counted on the day they left, whenever they joined: not a share of this period’s joins. How many of those who joined stayed is in the steps “after 7 / 30 days”.',
  joinedWhatsApp: 'Joined (sent on to WhatsApp by our form)',
  visitDimensions: {
    country: 'country',
    device: 'device',
    referrer: 'referrer',
    via: 'way in',
  },
  and: 'and',
  notFilteredStepNote: (dimensions: string) =>
    `Filtered by ${dimensions}, the funnel ends here: Telegram reports a join with its link only, so the joins it verified cannot be broken down by ${dimensions}. “Seen by Telegram” shows them for these links without that filter.`,
  seenNotFilteredNote: (dimensions: string) =>
    `Not broken down by ${dimensions}: all that Telegram saw through these links, without the filter by ${dimensions}.`,
  notFilteredTitle: (dimensions: string) => `cannot be broken down by ${dimensions}`,
  linksNotFilteredNote: (dimensions: string) =>
    `–: a link into a Telegram chat has its joins, conversion and retention counted by Telegram, which cannot be broken down by ${dimensions}; without that filter the table shows them.`,
  aboveVisitsMark: '*',
  aboveVisitsTitle: 'more joins than visitors',
  aboveVisitsNote:
    '* More joins than visitors: people joined through the Telegram invite link without visiting our page first (a forwarded or shared t.me link). So the conversion is above 100 %, or there is none without visitors (–).',
  verifiedTag: '✓ Telegram',
  verifiedTagTitle: 'verified by Telegram',
  ofWhichVerified: (n: string) => `of which ${n} ✓ Telegram`,
  linksVerifiedNote:
    '✓ Telegram: the link’s joins, conversion and retention as Telegram itself reported them (verified), not the sign-ups through our form.',
  homeVerifiedNote:
    '✓ Telegram: joins Telegram itself reported through the community’s links into its Telegram chats (verified), not sign-ups through our form.',
  compareVerifiedNote:
    '✓ Telegram: joins, retention and leaves as Telegram itself reported them through the links into its chats (verified); without the mark: whom our form sent on to the chat.',
  compareNotFilteredNote: (dimensions: string) =>
    `–: filtered by ${dimensions}, the funnel of a link into a Telegram chat ends at “Sent on to the chat by our form”: Telegram reports a join with its link only, so the joins it verified cannot be broken down by ${dimensions}. Without that filter the comparison shows them.`,
  breakdownsCountedNote:
    'Source and campaign count joins, retention and leaves link by link, as the funnel does: for links into Telegram chats what Telegram verified (✓ Telegram), for the others what our form sent on to the chat. Country, device, referrer and way in count what our form sent on to the chat: Telegram reports a join with its link only and cannot break its joins down by these.',
  breakdownsFormNote:
    'These tables count what our form saw: Telegram reports a join with its link only and cannot break its joins down by country, device, referrer or way in.',
  telegramLink: 'Telegram link',
  linkPending: 'pending (Telegram has not made it yet; the cron job tries again)',
  linkFailed:
    'Telegram refuses the link. Check the bot’s rights in the chat, or link the group again.',
  linksColumn: 'Telegram',
  linkRefused: 'Refused by Telegram',
}

export function telegramWords(lang: Lang): typeof de {
  return lang === 'de' ? de : en
}

/** A visit's dimensions in a sentence: "country", "country and device", "a, b and c". */
export function dimensionsText(lang: Lang, dimensions: readonly VisitDimension[]): string {
  const t = telegramWords(lang)
  const names = dimensions.map((dimension) => t.visitDimensions[dimension])
  const last = names.pop()
  return names.length > 0 ? `${names.join(', ')} ${t.and} ${last}` : (last ?? '')
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
