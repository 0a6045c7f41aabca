/**
 * Changing a scheduled announcement in the dashboard, and the end date of a repeat rule, in
 * German: the first market, and the default.
 */
export const announcementEditDe = {
  edit: 'Ändern',
  useAgain: 'Wiederverwenden',
  filledFrom:
    'Ausgefüllt mit einer früheren Ankündigung: Wählen Sie, wann die neue hinausgeht, und passen Sie an, was sich ändert.',
  title: 'Ankündigung ändern',
  save: 'Änderungen speichern',
  savedNotice: 'Die Ankündigung ist geändert.',
  /** The audience option that keeps several groups chosen through the API as they are. */
  keepAudience: (groups: string) => `Wie bisher: ${groups}`,
  notChangeable:
    'Diese Ankündigung wird inzwischen gesendet oder ist gesendet oder abgesagt: Sie lässt sich nicht mehr ändern.',
  runSending:
    'Ein Durchlauf dieser Ankündigung wird gerade gesendet: Ändern Sie sie, wenn er fertig ist, oder brechen Sie ihn auf der Liste ab.',
  changedMeanwhile:
    'Jemand anders hat diese Ankündigung geändert, während Sie sie bearbeitet haben, oder ein Durchlauf hat ihren nächsten Termin verschoben. Nichts ist gespeichert. Speichern Sie erneut, um Ihre Änderung trotzdem zu übernehmen.',
  typedBelow: 'Was Sie eingegeben haben, steht noch unten.',
  until: 'Bis einschließlich (optional)',
  untilHint: 'Der letzte Tag, an dem sie gesendet wird, im Kalender der gewählten Zeitzone.',
  untilInPast: 'Dieser Tag ist schon vorbei.',
  noRunBeforeUntil: 'Bis zu diesem Tag fällt kein Termin der Regel.',
  repeatsUntil: (day: string) => `bis ${day}`,
}

export type AnnouncementEditWords = typeof announcementEditDe

/** The same, in English. */
export const announcementEditEn: AnnouncementEditWords = {
  edit: 'Change',
  useAgain: 'Use again',
  filledFrom:
    'Filled in from an earlier announcement: choose when the new one goes out, and change what differs.',
  title: 'Change the announcement',
  save: 'Save changes',
  savedNotice: 'The announcement is changed.',
  keepAudience: (groups) => `As it is: ${groups}`,
  notChangeable:
    'This announcement is being sent by now, or was sent or cancelled: it can no longer change.',
  runSending:
    'A run of this announcement is being sent right now: change it once that has finished, or cancel the run on the list.',
  changedMeanwhile:
    'Someone else changed this announcement while you were editing it, or a run moved its next date. Nothing was saved. Save again to make your change anyway.',
  typedBelow: 'What you typed is still below.',
  until: 'Until, inclusive (optional)',
  untilHint: 'The last day it is sent, on the calendar of the time zone chosen.',
  untilInPast: 'That day is over already.',
  noRunBeforeUntil: 'The rule has no date up to that day.',
  repeatsUntil: (day) => `until ${day}`,
}
