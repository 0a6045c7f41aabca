import type { OutboundRefusal } from './outbound'

/**
 * German and English for the pages people see. German is the first market, so it is the
 * default when a browser states no preference; a browser that asks for neither gets English.
 */
export const LANGUAGES = ['de', 'en'] as const
export type Lang = (typeof LANGUAGES)[number]

export function pickLanguage(
  acceptLanguage: string | undefined,
  override: string | undefined,
): Lang {
  if (override === 'de' || override === 'en') return override
  if (!acceptLanguage?.trim()) return 'de'
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return {
        lang: tag.trim().toLowerCase().split('-')[0],
        q: q ? Number(q.slice(2)) || 0 : 1,
        index,
      }
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  const match = ranked.find((entry) => entry.lang === 'de' || entry.lang === 'en')
  return (match?.lang as Lang | undefined) ?? 'en'
}

const de = {
  members: (n: string) => `${n} Mitglieder`,
  member: 'Mitglied',
  openCommunity: 'Offene Community: Du bist sofort dabei.',
  closedCommunity: 'Geschlossene Community: Ein Admin bestätigt deine Anfrage.',
  groupsHeading: 'Gruppen',
  announcementGroup: 'Ankündigungen, nur Admins schreiben',
  youJoin: 'Dieser Link führt in diese Gruppe',
  join: 'Beitreten',
  requestToJoin: 'Beitritt anfragen',
  privacy:
    'Deine Kontaktdaten sehen nur die Admins, nie andere Mitglieder. Du kannst jederzeit mit einem Tipp austreten.',
  photoAlt: (name: string) => `Foto von ${name}`,
  notFoundTitle: 'Diesen Link gibt es nicht',
  notFoundText: 'Prüfe, ob du ihn vollständig kopiert hast, oder frag nach einem neuen Link.',
  goneTitle: 'Dieser Link gilt nicht mehr',
  revokedText: 'Die Admins haben diesen Einladungslink zurückgezogen. Frag nach einem neuen Link.',
  expiredText: 'Dieser Einladungslink ist abgelaufen. Frag nach einem neuen Link.',
  usedUpText: 'Dieser Einladungslink wurde so oft genutzt wie erlaubt. Frag nach einem neuen Link.',
  rotatedText: 'Dieser Einladungslink wurde ersetzt. Frag nach dem neuen Link.',
  badRequestTitle: 'Das hat nicht geklappt',
  errorTitle: 'Etwas ist schiefgelaufen',
  errorText: 'Bitte versuch es gleich noch einmal.',
  tooManyTitle: 'Zu viele Versuche',
  crossSiteTitle: 'Von einer anderen Website abgeschickt',
  crossSiteText:
    'Dieses Formular kam nicht vom Dashboard selbst, darum wurde nichts geändert. Öffne das Dashboard direkt und versuch es dort noch einmal.',
  joinTitle: (name: string) => `${name} beitreten`,
  nameLabel: 'Dein Name',
  phoneLabel: 'Handynummer',
  phoneHint: 'Mit Ländervorwahl, z. B. +49 151 12345678',
  emailLabel: 'E-Mail',
  contactHint: 'Telefon oder E-Mail, eins davon genügt.',
  questionsHeading: 'Ein paar Fragen der Admins',
  consentLabel: 'Ich bin einverstanden, dass mich die Community über diese Kontaktdaten erreicht.',
  submitJoin: 'Jetzt beitreten',
  submitRequest: 'Anfrage senden',
  pendingTitle: 'Deine Anfrage ist eingegangen',
  pendingText:
    'Ein Admin schaut sie sich an. Speichere dir diese Seite: Hier siehst du, wie entschieden wurde.',
  approvedTitle: 'Du bist dabei!',
  openChat: 'Zum Gruppenchat',
  noChatYet: 'Die Admins teilen den Link zum Chat bald mit dir.',
  rejectedTitle: 'Deine Anfrage wurde abgelehnt',
  rejectedReason: (reason: string) => `Begründung: ${reason}`,
  endedTitle: 'Du bist nicht mehr Mitglied',
  endedText: 'Du bekommst keine Nachrichten mehr von dieser Community.',
  referralHeading: 'Lade Freunde ein',
  referralText: 'Dein persönlicher Link. Wer darüber beitritt, zählt für dich.',
  referralQrAlt: 'QR-Code deines Einladungslinks',
  rewardsHeading: 'Deine Belohnungen',
  leaveLink: 'Community verlassen',
  leaveTitle: 'Community verlassen?',
  leaveText:
    'Du verlässt alle Gruppen dieser Community und bekommst keine Nachrichten mehr. Das gilt endgültig.',
  leaveButton: 'Ja, verlassen',
  leftTitle: 'Du hast die Community verlassen',
  alreadyMemberTitle: 'Du bist schon Mitglied',
  alreadyPendingTitle: 'Deine Anfrage läuft schon',
  alreadyPendingText:
    'Ein Admin schaut sie sich an. Den Link zu deiner Statusseite hast du beim ersten Mal bekommen.',
  thanksTitle: 'Danke!',
  challengeText:
    'Gerade treten sehr viele Menschen aus deinem Netz bei. Bitte bestätige kurz, dass du ein Mensch bist, und schick das Formular noch einmal ab.',
}

export type Messages = typeof de

const en: Messages = {
  members: (n) => `${n} members`,
  member: 'member',
  openCommunity: 'Open community: you are in at once.',
  closedCommunity: 'Closed community: an admin approves your request.',
  groupsHeading: 'Groups',
  announcementGroup: 'Announcements, only admins post',
  youJoin: 'This link takes you into this group',
  join: 'Join',
  requestToJoin: 'Request to join',
  privacy:
    'Only admins see your contact details, never other members. You can leave at any time with one tap.',
  photoAlt: (name) => `Photo of ${name}`,
  notFoundTitle: 'This link does not exist',
  notFoundText: 'Check that you copied all of it, or ask for a new link.',
  goneTitle: 'This link no longer works',
  revokedText: 'The admins have withdrawn this invite link. Ask for a new one.',
  expiredText: 'This invite link has expired. Ask for a new one.',
  usedUpText: 'This invite link has been used as often as allowed. Ask for a new one.',
  rotatedText: 'This invite link has been replaced. Ask for the new one.',
  badRequestTitle: 'That did not work',
  errorTitle: 'Something went wrong',
  errorText: 'Please try again in a moment.',
  tooManyTitle: 'Too many attempts',
  crossSiteTitle: 'Sent from another website',
  crossSiteText:
    'This form did not come from the dashboard itself, so nothing was changed. Open the dashboard directly and try again there.',
  joinTitle: (name) => `Join ${name}`,
  nameLabel: 'Your name',
  phoneLabel: 'Mobile number',
  phoneHint: 'With country code, e.g. +49 151 12345678',
  emailLabel: 'E-mail',
  contactHint: 'Phone or e-mail, one of them is enough.',
  questionsHeading: 'A few questions from the admins',
  consentLabel: 'I agree that the community may contact me through these details.',
  submitJoin: 'Join now',
  submitRequest: 'Send request',
  pendingTitle: 'Your request has arrived',
  pendingText: 'An admin will look at it. Keep this page: it shows you the decision.',
  approvedTitle: 'You are in!',
  openChat: 'Open the group chat',
  noChatYet: 'The admins will share the chat link with you soon.',
  rejectedTitle: 'Your request was declined',
  rejectedReason: (reason) => `Reason: ${reason}`,
  endedTitle: 'You are no longer a member',
  endedText: 'You will receive nothing more from this community.',
  referralHeading: 'Invite your friends',
  referralText: 'Your personal link. Everyone who joins through it counts for you.',
  referralQrAlt: 'QR code of your invite link',
  rewardsHeading: 'Your rewards',
  leaveLink: 'Leave the community',
  leaveTitle: 'Leave the community?',
  leaveText: 'You leave all of its groups and receive nothing more. This is for good.',
  leaveButton: 'Yes, leave',
  leftTitle: 'You have left the community',
  alreadyMemberTitle: 'You are a member already',
  alreadyPendingTitle: 'Your request is already waiting',
  alreadyPendingText:
    'An admin will look at it. You got the link to your status page the first time.',
  thanksTitle: 'Thank you!',
  challengeText:
    'A lot of people are joining from your network right now. Please confirm that you are a person and send the form again.',
}

export const MESSAGES: Record<Lang, Messages> = { de, en }

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB').format(n)
}

/** Why a link no longer lets people in, in words for the person holding it. */
export function inviteGoneText(t: Messages, status: 'revoked' | 'expired' | 'used_up'): string {
  return { revoked: t.revokedText, expired: t.expiredText, used_up: t.usedUpText }[status]
}

/** The dashboard's answer to a webhook URL the Worker may not send to, with the reason. */
const ENDPOINT_REFUSED: Record<Lang, { intro: string; reasons: Record<OutboundRefusal, string> }> =
  {
    en: {
      intro: 'This address cannot receive webhooks, so no endpoint was added:',
      reasons: {
        'not a URL': 'not a URL',
        'must be https': 'must be https',
        'must not contain a user name or password': 'must not contain a user name or password',
        'cloud metadata host': 'a cloud metadata host',
        'local host name': 'a local host name',
        'single-label host': 'a host name without a domain',
        'loopback address': 'a loopback address',
        'private address': 'a private address',
        'link-local address': 'a link-local address',
        'shared address (CGNAT)': 'a shared address (CGNAT)',
        'unspecified address': 'an unspecified address',
        'multicast address': 'a multicast address',
        'broadcast address': 'a broadcast address',
        'reserved address': 'a reserved address',
      },
    },
    de: {
      intro: 'An diese Adresse können keine Webhooks gehen, kein Endpunkt wurde angelegt:',
      reasons: {
        'not a URL': 'keine URL',
        'must be https': 'nur https ist erlaubt',
        'must not contain a user name or password':
          'Benutzername und Passwort gehören nicht in die URL',
        'cloud metadata host': 'ein Metadaten-Dienst einer Cloud',
        'local host name': 'ein lokaler Hostname',
        'single-label host': 'ein Hostname ohne Domain',
        'loopback address': 'eine Loopback-Adresse',
        'private address': 'eine private Adresse',
        'link-local address': 'eine link-lokale Adresse',
        'shared address (CGNAT)': 'eine geteilte Adresse (CGNAT)',
        'unspecified address': 'eine unspezifizierte Adresse',
        'multicast address': 'eine Multicast-Adresse',
        'broadcast address': 'eine Broadcast-Adresse',
        'reserved address': 'eine reservierte Adresse',
      },
    },
  }

/** Why a webhook endpoint was not added, as one sentence in `lang`. */
export function endpointRefusedText(lang: Lang, reason: OutboundRefusal): string {
  const words = ENDPOINT_REFUSED[lang]
  return `${words.intro} ${words.reasons[reason]}.`
}
