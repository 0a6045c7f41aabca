import type { Lang } from '.'

/**
 * The notes under the funnel's steps (`views/funnel.tsx`): what each figure counts. Figures come
 * as written (`formatNumber`): "1" takes the singular.
 */
const de = {
  scansAndClicks: (scans: string, clicks: string) =>
    `davon ${scans} ${scans === '1' ? 'QR-Scan' : 'QR-Scans'}, ${clicks} ${clicks === '1' ? 'Link-Klick' : 'Link-Klicks'}`,
  confirmedByNote: (phone: string, email: string, form: string) =>
    `${phone} über die Telefonnummer, ${email} über die E-Mail-Adresse bestätigt, ${form} nur mit dem Formular (Single-Opt-in).`,
  joinsOldEnough: (days: number) => `Beitritte vor mindestens ${days} Tagen`,
  retentionNote: (n: string, days: number) =>
    `Gezählt über ${n} Beitritte, die mindestens ${days} Tage zurückliegen.`,
  periodTooShort: (days: number) =>
    `Gezählt über Beitritte, die mindestens ${days} Tage zurückliegen: Ein so kurzer Zeitraum enthält kaum welche. Wähle 90 Tage, um es zu messen.`,
  leftNote: 'Von den Beitritten des Zeitraums: ausgetreten, entfernt oder Daten gelöscht.',
  nothingYet:
    'In diesem Zeitraum ist noch nichts gezählt: Sobald jemand einen Link öffnet, stehen hier die Zahlen.',
}

const en: typeof de = {
  scansAndClicks: (scans, clicks) =>
    `of which ${scans} ${scans === '1' ? 'QR scan' : 'QR scans'}, ${clicks} ${clicks === '1' ? 'link click' : 'link clicks'}`,
  confirmedByNote: (phone, email, form) =>
    `${phone} confirmed through their phone number, ${email} through their e-mail address, ${form} by the form alone (single opt-in).`,
  joinsOldEnough: (days) => `Joins at least ${days} days ago`,
  retentionNote: (n, days) => `Counted over ${n} joins at least ${days} days ago.`,
  periodTooShort: (days) =>
    `Counted over joins at least ${days} days ago: a period this short holds hardly any. Choose 90 days to measure it.`,
  leftNote: 'Of the period’s joins: those who left, were removed or had their data erased.',
  nothingYet:
    'Nothing counted in this period yet: once someone opens a link, the figures show here.',
}

export const funnelNotes = (lang: Lang) => (lang === 'de' ? de : en)
