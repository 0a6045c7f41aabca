/**
 * German and English for the pages people see. German is the first market, so it is the
 * default when a browser states no preference; a browser that asks for neither gets English.
 */
export const LANGUAGES = ['de', 'en'] as const
export type Lang = (typeof LANGUAGES)[number]

export function pickLanguage(acceptLanguage: string | undefined, override: string | undefined): Lang {
  if (override === 'de' || override === 'en') return override
  if (!acceptLanguage?.trim()) return 'de'
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) || 0 : 1, index }
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
}

export const MESSAGES: Record<Lang, Messages> = { de, en }

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB').format(n)
}
