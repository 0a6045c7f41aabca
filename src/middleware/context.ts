import { createMiddleware } from 'hono/factory'
import { createDb } from '../db/client'
import type { AppEnv } from '../env'
import { loadConfig } from '../lib/config'

/**
 * Puts what every handler needs on the context once per request: parsed configuration, the
 * drizzle client and a request id that error responses and logs share.
 */
export function appContext() {
  return createMiddleware<AppEnv>(async function appContext(c, next) {
    c.set('config', loadConfig(c.env))
    c.set('db', createDb(c.env.DB))
    c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID())
    await next()
  })
}
