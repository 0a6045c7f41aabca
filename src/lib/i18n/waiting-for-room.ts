/**
 * The approvals pages on requests a full group keeps out: each row says which group has no room
 * and what makes room, and a decision's notice names the groups that refused approvals. The
 * group's name goes between the words (`… <group> is full …`). German first: the first market,
 * and the default.
 */
export const waitingForRoomDe = {
  /** Before the group's name: a sign-up confirmed once its group was full (open community). */
  confirmedWaiting: 'Bestätigt; wartet auf Platz:',
  /** Before the group's name: a request an admin cannot approve until there is room. */
  waiting: 'Wartet auf Platz:',
  isFull: (seats: string, limit: string) => `ist voll (${seats} von ${limit}).`,
  /** What makes room where the group's limit can go higher. */
  onceRaised: (max: string) =>
    `Annehmen geht erst, wenn jemand geht oder das Limit der Gruppe erhöht wird (bis ${max}).`,
  /** What makes room where the limit is the highest a group may have. */
  onceLeft: (max: string) =>
    `Annehmen geht erst, wenn jemand geht: ${max} ist das Höchste, was eine Gruppe fasst.`,
  groupsLink: 'Höchstzahl an Mitgliedern',
  /** A sign-up confirmed while its group was full, which has room again. */
  roomNow: 'Bestätigt, als die Gruppe voll war; jetzt ist wieder Platz.',
  /** After the group's name, in a decision's notice. */
  fullNotice: (waiting: string) =>
    waiting === '1'
      ? 'ist voll (die gewählte Anfrage wartet weiter)'
      : `ist voll (${waiting} der gewählten Anfragen warten weiter)`,
  /** Before the reasons, when none of the requests chosen could be decided. */
  noneDecided: 'Keine ließ sich entscheiden:',
}

export type WaitingForRoomWords = typeof waitingForRoomDe

/** The same, in English. */
export const waitingForRoomEn: WaitingForRoomWords = {
  confirmedWaiting: 'Confirmed; waiting for room:',
  waiting: 'Waiting for room:',
  isFull: (seats: string, limit: string) => `is full (${seats} of ${limit}).`,
  onceRaised: (max: string) =>
    `Approving works once someone leaves or the group’s limit is raised (up to ${max}).`,
  onceLeft: (max: string) =>
    `Approving works once someone leaves: ${max} is the most a group may hold.`,
  groupsLink: 'Most members',
  roomNow: 'Confirmed while its group was full; there is room now.',
  fullNotice: (waiting: string) =>
    waiting === '1'
      ? 'is full (the request chosen still waits)'
      : `is full (${waiting} of the requests chosen still wait)`,
  noneDecided: 'None could be decided:',
}
