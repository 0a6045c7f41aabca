import { getTableColumns, type Table } from 'drizzle-orm'

/**
 * A row read by a plain statement (`select * from <table>` at the end of a batch of raw
 * statements), as drizzle's own queries return it: fields by their names in the schema, each
 * value through its column's mapping (timestamps to dates, JSON parsed, booleans).
 */
export function rowOf<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {}
  for (const [field, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name]
    row[field] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
  }
  return row as T['$inferSelect']
}

/** The first row a statement of a batch read, if any. */
export function firstRowOf<T extends Table>(
  table: T,
  result: D1Result | undefined,
): T['$inferSelect'] | undefined {
  const raw = result?.results[0] as Record<string, unknown> | undefined
  return raw ? rowOf(table, raw) : undefined
}
