/** The SQL for sixty days of demo history up to `now` (see demo-history.mjs). */
export function demoHistorySql(now?: Date): string
