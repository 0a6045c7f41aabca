/**
 * A link's uses on its page: how many of its limit are taken, and those held by sign-ups still
 * waiting for their owner's confirmation, which come back if nobody confirms them. German first:
 * the first market, and the default.
 */
export const linkUsesDe = {
  uses: (used: string, max: string) => `Genutzt: ${used} von ${max}.`,
  groupFull: (group: string, limit: string) =>
    `Niemand kommt gerade über diesen Link hinein: ${group} ist voll (Limit: ${limit}). Erhöhe das Limit der Gruppe, oder lass den Link in eine andere Gruppe führen.`,
  waiting: (count: string, when: string) =>
    count === '1'
      ? `Eine davon ist eine Anmeldung, die noch auf ihre Bestätigung wartet. Bestätigt niemand, kommt die Nutzung am ${when} zurück.`
      : `${count} davon sind Anmeldungen, die noch auf ihre Bestätigung warten. Bestätigt niemand, kommt die Nutzung zurück, die erste am ${when}.`,
}

export type LinkUsesWords = typeof linkUsesDe

/** The same, in English. */
export const linkUsesEn: LinkUsesWords = {
  uses: (used: string, max: string) => `Used: ${used} of ${max}.`,
  groupFull: (group: string, limit: string) =>
    `Nobody can join through this link now: ${group} is full (limit: ${limit}). Raise the group's limit, or let the link lead into another group.`,
  waiting: (count: string, when: string) =>
    count === '1'
      ? `One of them is a sign-up still waiting for its confirmation. If nobody confirms it, its use comes back on ${when}.`
      : `${count} of them are sign-ups still waiting for their confirmation. If nobody confirms one, its use comes back, the first on ${when}.`,
}
