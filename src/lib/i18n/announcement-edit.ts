/**
 * Changing a scheduled announcement in the dashboard, using one again, and the last day of a
 * repeat rule, in German: the first market, and the default.
 */
export const announcementEditDe = {
  edit: 'Ändern',
  useAgain: 'Wiederverwenden',
  filledFrom:
    'Ausgefüllt mit einer früheren Ankündigung: Wähle, wann die neue hinausgeht, und passe an, was sich ändert.',
  title: 'Ankündigung ändern',
  save: 'Änderungen speichern',
  savedNotice: 'Die Ankündigung ist geändert.',
  unchangedNotice: 'Nichts geändert: Die Ankündigung ist, wie sie war.',
  /** The audience option that keeps several groups chosen through the API as they are. */
  keepAudience: (groups: string) => `Wie bisher: ${groups}`,
  notChangeable:
    'Diese Ankündigung wird inzwischen gesendet oder ist gesendet oder abgesagt: Sie lässt sich nicht mehr ändern.',
  runSending:
    'Ein Durchlauf dieser Ankündigung wird gerade gesendet: Ändere sie, wenn er fertig ist, oder brich ihn auf der Liste ab.',
  changedMeanwhile:
    'Jemand anders hat diese Ankündigung geändert, während du sie bearbeitet hast, oder ein Durchlauf hat ihren nächsten Termin verschoben. Nichts ist gespeichert. Speichere erneut, um deine Änderung trotzdem zu übernehmen.',
  typedBelow: 'Was du eingegeben hast, steht noch unten.',
  cancelledNotChangeable: 'Diese Ankündigung ist abgesagt: Sie lässt sich nicht mehr ändern.',
  pickerOffList:
    'Wähle, was das Formular anbietet: Wochentage aus der Liste, einen Tag des Monats von 1 bis 31, eine Uhrzeit wie 09:00.',
  sentNotChangeable:
    'Diese Ankündigung wird gerade gesendet oder ist gesendet: Sie lässt sich nicht mehr ändern.',
  onceHint: 'Für eine wiederholte Ankündigung leer lassen: Die Regel unten bestimmt ihre Termine.',
  nameHint:
    'Schreib {name}, wo der Name jedes Mitglieds stehen soll. In einem Beitrag an einen ganzen Telegram-Chat fällt es weg: „Hallo {name},“ wird „Hallo,“.',
  until: 'Letzter Tag (optional)',
  untilHint:
    'Sie wird bis einschließlich dieses Tages gesendet, im Kalender der gewählten Zeitzone.',
  untilInPast: 'Der gewählte letzte Tag ist schon vorbei.',
  noRunBeforeUntil: 'Bis zum gewählten letzten Tag gibt es keinen Termin nach dieser Regel.',
  ruleNeverRuns: 'Diese Regel trifft auf keinen Tag, etwa den 31. April.',
  repeatsUntil: (day: string) => `bis ${day}`,
  sendNowRepeats: 'Das ist ein zusätzlicher Lauf: Die Wiederholung geht wie geplant weiter.',
  cancelledAt: (when: string) => `abgesagt ${when}`,
  sentNowRepeatingNotice:
    'Der zusätzliche Lauf beginnt innerhalb einer Minute; sein Bericht füllt sich ab dann. Die Wiederholung geht wie geplant weiter.',
  waitingUntil: (time: string) =>
    `Einige Nachrichten warten auf einen weiteren Versuch, fällig bis ${time}.`,
  noneGotThrough: 'Keine ihrer Nachrichten ist durchgekommen; warum, steht in ihrem Bericht.',
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
  unchangedNotice: 'Nothing changed: the announcement is as it was.',
  keepAudience: (groups) => `As it is: ${groups}`,
  notChangeable:
    'This announcement is being sent by now, or was sent or cancelled: it can no longer change.',
  runSending:
    'A run of this announcement is being sent right now: change it once that has finished, or cancel the run on the list.',
  changedMeanwhile:
    'Someone else changed this announcement while you were editing it, or a run moved its next date. Nothing was saved. Save again to make your change anyway.',
  typedBelow: 'What you typed is still below.',
  cancelledNotChangeable: 'This announcement was cancelled: it can no longer be changed.',
  pickerOffList:
    'Choose what the form offers: days of the week from the list, a day of the month from 1 to 31, a time such as 09:00.',
  sentNotChangeable: 'This announcement is being sent or was sent: it can no longer be changed.',
  onceHint: 'Leave empty for a repeating announcement: the rule below sets its dates.',
  nameHint:
    'Write {name} where each member’s name goes. A post to a whole Telegram chat leaves it out: “Hi {name},” reads “Hi,”.',
  until: 'Last day (optional)',
  untilHint: 'It is sent up to and including this day, on the calendar of the time zone chosen.',
  untilInPast: 'The last day chosen is over already.',
  noRunBeforeUntil: 'The rule has no date up to the last day chosen.',
  ruleNeverRuns: 'This rule falls on no date, such as 31 April.',
  repeatsUntil: (day) => `until ${day}`,
  sendNowRepeats: 'This is one run more: the repeat goes on as planned.',
  cancelledAt: (when: string) => `cancelled ${when}`,
  sentNowRepeatingNotice:
    'The extra run starts within a minute; its report fills up from then on. The repeat goes on as planned.',
  waitingUntil: (time: string) => `Some messages wait for another try, due by ${time}.`,
  noneGotThrough: 'None of its messages got through; its report says why.',
}
