/**
 * The Worker's logs: one JSON object per line, so Workers Logs and `wrangler tail` can filter by
 * field. An error is logged by its message only, never with the request or row that caused it,
 * so personal data and secrets stay out of the logs.
 */
export function logError(fields: Record<string, unknown>, error?: unknown): void {
  console.error(JSON.stringify(error === undefined ? fields : { ...fields, error: String(error) }))
}

/** What a job did, for the record. */
export function logInfo(fields: Record<string, unknown>): void {
  console.log(JSON.stringify(fields))
}
