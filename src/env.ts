import type { Config } from './lib/config'
import type { Database } from './db/client'
import type { Principal } from './services/access'

/** The Hono environment every route and middleware shares: bindings plus per-request values. */
export type AppEnv = {
  Bindings: Env
  Variables: {
    config: Config
    db: Database
    /** For work that runs after the answer (`waitUntil`); not in the answer's round trips. */
    deferredDb: Database
    requestId: string
    /** This response's CSP nonce (`cspNonce(c)`), set by `securityHeaders`. */
    cspNonce: string
    principal: Principal
    /**
     * On dashboard pages: pending requests by community, for the communities the principal
     * decides on that the session read them for (see `dashboardSession`).
     */
    pendingApprovals: Map<string, number>
  }
}
