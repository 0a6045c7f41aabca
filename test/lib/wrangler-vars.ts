import { readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * The `[vars]` of wrangler.toml, as a deployment gets them: what the Worker's `env` holds before
 * any secret or test binding is added. Only the `NAME = "value"` lines the file uses are read.
 */
export function wranglerVars(): Env {
  const toml = readFileSync(path.resolve(import.meta.dirname, '../../wrangler.toml'), 'utf8')
  const section = /^\[vars\]$([\s\S]*?)^\[/m.exec(toml)?.[1] ?? ''
  const vars: Record<string, string> = {}
  for (const [, name, value] of section.matchAll(/^([A-Z0-9_]+) = "([^"]*)"$/gm))
    vars[name!] = value!
  return vars as unknown as Env
}
