import type { RouterRoute } from 'hono/types'

/**
 * Which methods a path answers to, from the app's own route table: a request that reaches no
 * handler is a 405 (with `Allow`) when the path exists under another method, and a 404 otherwise.
 * Built once per app; middleware (`ALL`) and catch-all patterns are not resources.
 */
export function methodsByPath(routes: RouterRoute[]): (path: string) => string[] {
  const table = new Map<string, { pattern: RegExp; methods: Set<string> }>()
  for (const route of routes) {
    if (route.method === 'ALL' || route.path.includes('*')) continue
    const entry = table.get(route.path) ?? {
      pattern: new RegExp(`^${route.path.replace(/:[^/]+/g, '[^/]+').replace(/\./g, '\\.')}$`),
      methods: new Set<string>(),
    }
    entry.methods.add(route.method)
    if (route.method === 'GET') entry.methods.add('HEAD')
    table.set(route.path, entry)
  }
  return (path) => {
    const allowed = new Set<string>()
    for (const { pattern, methods } of table.values()) {
      if (pattern.test(path)) for (const method of methods) allowed.add(method)
    }
    return [...allowed].sort()
  }
}
