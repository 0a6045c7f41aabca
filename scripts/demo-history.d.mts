/** The SQL for sixty days of demo history up to `now` (see demo-history.mjs). */
export function demoHistorySql(now?: Date): string
/** Loads seed.sql and the history into the database wrangler's `where` flags name. */
export function loadDemo(where?: string[]): void
