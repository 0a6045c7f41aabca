import { query } from './helpers'

/** Every row of every table of the database, as text: where personal data could hide. */
export async function everyRow(): Promise<Map<string, string[]>> {
  const tables = await query<{ name: string }>(
    `select name from sqlite_master where type = 'table' and name not like '\\_cf\\_%' escape '\\'`,
  )
  const rows = new Map<string, string[]>()
  for (const { name } of tables) {
    const found = await query(`select * from "${name.replace(/"/g, '""')}"`)
    rows.set(
      name,
      found.map((row) => JSON.stringify(row)),
    )
  }
  return rows
}

/** The tables and rows in which any of these strings occur (case-insensitive). */
export async function tracesOf(needles: string[]): Promise<string[]> {
  const lowered = needles.map((needle) => needle.toLowerCase())
  const traces: string[] = []
  for (const [table, rows] of await everyRow()) {
    for (const row of rows) {
      const text = row.toLowerCase()
      const hits = lowered.filter((needle) => text.includes(needle))
      if (hits.length > 0) traces.push(`${table}: ${hits.join(', ')} in ${row.slice(0, 300)}`)
    }
  }
  return traces
}
