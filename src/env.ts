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
    /** Shared by an error's answer and its log line: `requestIdOf(c)` makes it when needed. */
    requestId: string | undefined
    /** This response's CSP nonce, made by `cspNonce(c)` when a page first asks for it. */
    cspNonce: string | undefined
    principal: Principal
    /**
     * On dashboard pages: pending requests by community, for the communities the principal
     * decides on that the session read them for (see `dashboardSession`): the header's count is
     * their sum, the same on every page.
     */
    pendingApprovals: Map<string, number>
    /**
     * On a community's dashboard pages: its pending requests, where the principal decides on it
     * (its approvals tab shows them); empty elsewhere.
     */
    viewedApprovals: Map<string, number>
    /** Set by `changedNothing`: the audit log records no entry for this request. */
    changedNothing: boolean | undefined
    /** Set by `auditTarget`: what a dashboard form made, for its entry in the audit log. */
    auditTarget: string | undefined
    /** Set by `auditDetail`: what a change changed, for its entry in the audit log. */
    auditDetail: string | undefined
  }
}
