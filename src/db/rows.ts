import { getTableColumns, type Column, type Table } from 'drizzle-orm'

/** Each table's fields with their columns, listed once per isolate (rows are mapped per request). */
const fieldsOfTable = new WeakMap<Table, Array<[field: string, column: Column]>>()

function fieldsOf(table: Table): Array<[string, Column]> {
  let fields = fieldsOfTable.get(table)
  if (!fields) {
    fields = Object.entries(getTableColumns(table))
    fieldsOfTable.set(table, fields)
  }
  return fields
}

/**
 * A row read by a plain statement (`select * from <table>` at the end of a batch of raw
 * statements), as drizzle's own queries return it: fields by their names in the schema, each
 * value through its column's mapping (timestamps to dates, JSON parsed, booleans).
 */
export function rowOf<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {}
  for (const [field, column] of fieldsOf(table)) {
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

/** Every row a statement of a batch read. */
export function rowsOf<T extends Table>(
  table: T,
  result: D1Result | undefined,
): Array<T['$inferSelect']> {
  return (result?.results ?? []).map((raw) => rowOf(table, raw as Record<string, unknown>))
}

/**
 * The text of a plain multi-row statement for each number of rows, made once per number (the
 * text is all that varies): `make` gets the VALUES list, `row` repeated, e.g. `(?, ?), (?, ?)`.
 */
export function textByRowCount(
  row: string,
  make: (values: string) => string,
): (rows: number) => string {
  const made = new Map<number, string>()
  return (rows) => {
    let text = made.get(rows)
    if (text === undefined) {
      made.set(rows, (text = make(Array.from({ length: rows }, () => row).join(', '))))
    }
    return text
  }
}
