/** The UTC calendar day of a moment, as `YYYY-MM-DD`: the unit of daily rollups and salts. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10)
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00.000Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return utcDay(date)
}
