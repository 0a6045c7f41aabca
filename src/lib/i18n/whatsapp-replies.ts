import type { Lang } from './index'

/**
 * What the Worker writes to a person on WhatsApp (the answers to their confirmation, to STOP
 * and START, and an admin's decision), in the language of the pages they signed up on. We see
 * who opens a group's chat link, not who enters the group: a confirmed place is never called
 * being in the group.
 */

/** The chat commands our words name, as the person types them: `STOPP`, `START`. */
export interface ChatKeywords {
  stop: string
  start: string
}

/** The opt-out keyword each language names first, where it is configured. */
const OWN_STOP_WORD: Record<Lang, string> = { de: 'stopp', en: 'stop' }

/**
 * The keywords a message in `lang` names, from those that act (`OPT_OUT_KEYWORDS`,
 * `OPT_IN_KEYWORDS`, folded): the language's own word for stop where it is one of them, `start`
 * where it is, else the first configured. Whatever a reply or the status page tells the person
 * to send is a word that does what it says.
 */
export function chatKeywords(optOut: string[], optIn: string[], lang: Lang): ChatKeywords {
  const stop = optOut.includes(OWN_STOP_WORD[lang]) ? OWN_STOP_WORD[lang] : optOut[0]!
  const start = optIn.includes('start') ? 'start' : optIn[0]!
  return { stop: stop.toUpperCase(), start: start.toUpperCase() }
}

/** Where a reply points to the status page: its link, where we may send it, else its name. */
const onStatusPage = (page: string, link: string | null) => (link ? `${page}: ${link}` : `${page}.`)

/**
 * How a confirmed place goes on into the group, by whether its chat link is set up
 * (`chatLinkSetUp`): through that link on the status page, or, where there is none yet (the
 * page says so), once the admins add it there.
 */
const intoGroup = {
  de: (chatLinkSetUp: boolean, statusLink: string | null) =>
    chatLinkSetUp
      ? `In die Gruppe kommst du über den Gruppenlink auf ${onStatusPage('deiner Statusseite', statusLink)}`
      : `Den Link zur Gruppe haben die Admins noch nicht eingerichtet; sobald sie es tun, steht er auf ${onStatusPage('deiner Statusseite', statusLink)}`,
  en: (chatLinkSetUp: boolean, statusLink: string | null) =>
    chatLinkSetUp
      ? `To enter the group, open the group link on ${onStatusPage('your status page', statusLink)}`
      : `The admins have not set up the group’s link yet; once they do, it is on ${onStatusPage('your status page', statusLink)}`,
}

/**
 * How a stop made in WhatsApp itself (its setting for our marketing messages, "Offers and
 * announcements") is undone: only there, never by a message to us.
 */
const ALLOW_IN_WHATSAPP = {
  de: 'erlaube sie in WhatsApp: in diesem Chat auf unseren Namen tippen, dann „Angebote und Ankündigungen“ wieder einschalten.',
  en: 'allow them in WhatsApp: in this chat, tap our name, then turn “Offers and announcements” back on.',
}

const de = (keywords: ChatKeywords) => ({
  welcome: (community: string, statusLink: string | null, chatLinkSetUp: boolean) =>
    `Danke, du hast bestätigt: Dein Platz bei ${community} ist sicher. ${intoGroup.de(chatLinkSetUp, statusLink)}\n\nMit ${keywords.stop} meldest du dich jederzeit ab.`,
  confirmedWaiting: (community: string, statusLink: string | null) =>
    `Danke, du hast bestätigt. Über deine Anfrage bei ${community} entscheidet ein Admin; die Entscheidung siehst du auf ${onStatusPage('deiner Statusseite', statusLink)}`,
  confirmedSeeStatus: (community: string, statusLink: string | null) =>
    `Danke, du hast bestätigt. Wie es um deine Anmeldung bei ${community} steht, siehst du auf ${onStatusPage('deiner Statusseite', statusLink)}`,
  confirmedGroupFull: (community: string, statusLink: string | null) =>
    `Danke, du hast bestätigt. Die Gruppe bei ${community} ist inzwischen voll: Ein Admin kann dich aufnehmen, sobald Platz ist. Wie es steht, siehst du auf ${onStatusPage('deiner Statusseite', statusLink)}`,
  codeUnknown:
    'Dieser Code ist abgelaufen oder gehört zu einer anderen Nummer. Schick ihn von der Nummer, mit der du dich angemeldet hast, oder melde dich über den Einladungslink neu an.',
  /** `heldInWhatsApp`: the number also stopped our marketing messages in WhatsApp itself. */
  stopped: (heldInWhatsApp: boolean) =>
    `Du bist abgemeldet: Mit dieser Nummer bist du nicht mehr Mitglied bei uns und bekommst keine Nachrichten mehr von uns. ${heldInWhatsApp ? `Du hast unsere Werbenachrichten auch in WhatsApp selbst gestoppt: Um zurückzukommen, ${ALLOW_IN_WHATSAPP.de}` : `Um zurückzukommen, schick hier ${keywords.start}.`}`,
  started: `Willkommen zurück: Du bekommst wieder Nachrichten von uns. Mit ${keywords.stop} meldest du dich ab.`,
  /** A START while the number's stop was made in WhatsApp itself: it changes nothing. */
  startHeld: `${keywords.start} hebt das nicht auf: Du hast Werbenachrichten von uns in WhatsApp selbst gestoppt. Um sie wieder zu bekommen, ${ALLOW_IN_WHATSAPP.de}`,
  /** A START that lifted the number's stop, where no membership of it came back. */
  startedNoMembership: `Deine Abmeldung ist aufgehoben. Eine Mitgliedschaft, die ${keywords.start} zurückbringen könnte, hat diese Nummer aber nicht: Um wieder Mitglied zu werden, melde dich über einen Einladungslink an.`,
  /** A START where nothing was stopped: it changes nothing. */
  notStopped: `Diese Nummer ist nicht abgemeldet, ${keywords.start} ändert also nichts. Mit ${keywords.stop} meldest du dich ab.`,
  approved: (community: string, statusLink: string | null, chatLinkSetUp: boolean) =>
    `Deine Anfrage bei ${community} ist angenommen: Dein Platz ist sicher. ${intoGroup.de(chatLinkSetUp, statusLink)}`,
  rejected: (community: string, reason: string | null) =>
    `Deine Anfrage bei ${community} wurde abgelehnt.${reason ? ` Begründung: ${reason}` : ''}`,
})

const en: typeof de = (keywords) => ({
  welcome: (community, statusLink, chatLinkSetUp) =>
    `Thank you for confirming: your place in ${community} is confirmed. ${intoGroup.en(chatLinkSetUp, statusLink)}\n\nReply ${keywords.stop} at any time to unsubscribe.`,
  confirmedWaiting: (community, statusLink) =>
    `Thank you for confirming. An admin decides on your request to join ${community}; you will see the decision on ${onStatusPage('your status page', statusLink)}`,
  confirmedSeeStatus: (community, statusLink) =>
    `Thank you for confirming. See where your sign-up to ${community} stands on ${onStatusPage('your status page', statusLink)}`,
  confirmedGroupFull: (community, statusLink) =>
    `Thank you for confirming. The group at ${community} has filled up in the meantime: an admin can let you in once there is room. See where it stands on ${onStatusPage('your status page', statusLink)}`,
  codeUnknown:
    'This code has expired or belongs to another number. Send it from the number you signed up with, or sign up again through the invite link.',
  stopped: (heldInWhatsApp) =>
    `You are unsubscribed: with this number you are no longer a member, and will get no more messages from us. ${heldInWhatsApp ? `You also stopped our marketing messages in WhatsApp itself: to come back, ${ALLOW_IN_WHATSAPP.en}` : `To come back, send ${keywords.start} here.`}`,
  started: `Welcome back: you will get our messages again. Reply ${keywords.stop} to unsubscribe.`,
  startHeld: `${keywords.start} does not undo this: you stopped marketing messages from us in WhatsApp itself. To get them again, ${ALLOW_IN_WHATSAPP.en}`,
  startedNoMembership: `Your unsubscribe is lifted, but this number has no membership ${keywords.start} could bring back: to become a member again, sign up through an invite link.`,
  notStopped: `This number is not unsubscribed, so ${keywords.start} changes nothing. Reply ${keywords.stop} to unsubscribe.`,
  approved: (community, statusLink, chatLinkSetUp) =>
    `Your request to join ${community} is approved: your place is confirmed. ${intoGroup.en(chatLinkSetUp, statusLink)}`,
  rejected: (community, reason) =>
    `Your request to join ${community} was declined.${reason ? ` Reason: ${reason}` : ''}`,
})

export type WhatsAppReplies = ReturnType<typeof de>

const REPLIES: Record<Lang, (keywords: ChatKeywords) => WhatsAppReplies> = { de, en }

/**
 * The replies in `lang`, each naming the keywords `keywordsIn` gives for its language
 * (`chatKeywords`). Where the language is not known (null: a sign-up from before it was kept, a
 * number with no sign-up), each reply is German and English together, German first, as they were
 * before languages were kept; twice the longest reply stays far below the Cloud API's 4,096
 * characters.
 */
export function whatsappReplies(
  lang: Lang | null,
  keywordsIn: (lang: Lang) => ChatKeywords,
): WhatsAppReplies {
  if (lang) return REPLIES[lang](keywordsIn(lang))
  return bothLanguages(REPLIES.de(keywordsIn('de')), REPLIES.en(keywordsIn('en')))
}

/** Each reply of `first`, then the same reply of `second`, in one message. */
function bothLanguages(first: WhatsAppReplies, second: WhatsAppReplies): WhatsAppReplies {
  const both: Record<string, unknown> = {}
  for (const key of Object.keys(first) as Array<keyof WhatsAppReplies>) {
    const [one, other] = [first[key], second[key]] as Array<string | ((...args: never[]) => string)>
    both[key] =
      typeof one === 'function' && typeof other === 'function'
        ? (...args: never[]) => `${one(...args)}\n\n${other(...args)}`
        : `${String(one)}\n\n${String(other)}`
  }
  return both as WhatsAppReplies
}
