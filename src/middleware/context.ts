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
    const config = loadConfig(c.env)
    c.set('config', config)
    c.set('db', createDb(c.env.DB, { checkLimits: config.D1_LIMIT_CHECKS }))
    c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID())
    await next()
  })
}
