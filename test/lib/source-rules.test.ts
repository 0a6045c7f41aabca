import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * Rules over the source tree, read from the files themselves: a file a newcomer cannot read in
 * one sitting (about 500 lines) is usually two files; a circle between files means a third one
 * is missing.
 */

const SRC = path.resolve(import.meta.dirname, '../../src')
const MAX_LINES = 500

/**
 * Files longer than MAX_LINES today, with their length when this rule came: to be split. A file
 * may not grow past its number, and leaves the list once it is split.
 */
const TO_BE_SPLIT: Record<string, number> = {}

/** The Worker's own source: generated declarations are not read by people. */
const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'))
  .map((file) => file.split(path.sep).join('/'))
  .sort()
const text = new Map(sources.map((file) => [file, readFileSync(path.join(SRC, file), 'utf8')]))

function lineCount(source: string): number {
  return source.split('\n').length - (source.endsWith('\n') ? 1 : 0)
}

/** The src/ files a file imports (statically, dynamically or for its types alone). */
function importsOf(file: string): string[] {
  const specifiers = [
    ...text.get(file)!.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g),
    ...text.get(file)!.matchAll(/\bimport\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g),
  ].map((match) => match[1]!)
  const targets = new Set<string>()
  for (const specifier of specifiers) {
    const base = path.posix.join(path.posix.dirname(file), specifier)
    const target = [
      base,
      `${base}.ts`,
      `${base}.tsx`,
      `${base}/index.ts`,
      `${base}/index.tsx`,
    ].find((candidate) => text.has(candidate))
    if (target) targets.add(target)
    else if (!existsSync(path.join(SRC, base)) && !/\.(json|txt|sql)$/.test(base))
      throw new Error(`${file}: cannot find ${specifier}`)
  }
  return [...targets]
}

/** Every circle of imports, each as the files it passes through (Tarjan's components). */
function importCycles(graph: Map<string, string[]>): string[][] {
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (file: string) => {
    order.set(file, order.size)
    low.set(file, order.get(file)!)
    stack.push(file)
    onStack.add(file)
    for (const next of graph.get(file)!) {
      if (!order.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, order.get(next)!))
    }
    if (low.get(file) !== order.get(file)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || graph.get(file)!.includes(file)) cycles.push(component.sort())
  }
  for (const file of graph.keys()) if (!order.has(file)) visit(file)
  return cycles
}

describe('the source tree', () => {
  it(`has no file over ${MAX_LINES} lines but those to be split, and none of them grows`, () => {
    expect(sources.length).toBeGreaterThan(50)
    const problems: string[] = []
    for (const file of sources) {
      const lines = lineCount(text.get(file)!)
      const allowed = TO_BE_SPLIT[file]
      if (allowed === undefined && lines > MAX_LINES)
        problems.push(`src/${file} has ${lines} lines: split it (at most ${MAX_LINES})`)
      if (allowed !== undefined && lines > allowed)
        problems.push(`src/${file} grew to ${lines} lines (${allowed} allowed until it is split)`)
      if (allowed !== undefined && lines <= MAX_LINES)
        problems.push(`src/${file} has ${lines} lines now: take it off TO_BE_SPLIT`)
    }
    for (const file of Object.keys(TO_BE_SPLIT))
      if (!text.has(file)) problems.push(`src/${file} is gone: take it off TO_BE_SPLIT`)
    expect(problems).toEqual([])
  })

  it('has no circle of imports', () => {
    const graph = new Map(sources.map((file) => [file, importsOf(file)]))
    expect([...graph.values()].flat().length).toBeGreaterThan(100)
    expect(importCycles(graph).map((cycle) => cycle.map((file) => `src/${file}`))).toEqual([])
  })

  it('finds a circle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts', 'd.ts']],
      ['e.ts', []],
    ])
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']])
  })

  it('has one way out: nothing in the Worker calls fetch but src/lib/outbound.ts', () => {
    expect(sources).toContain('services/channels.ts')
    const callers = sources.filter(
      (file) =>
        file !== 'lib/outbound.ts' &&
        /(^|[^\w.])fetch\(|(globalThis|self)\.fetch\b/.test(text.get(file)!),
    )
    expect(callers).toEqual([])
    expect(text.get('lib/outbound.ts')).toMatch(/await fetch\(/)
  })
})

describe('src/lib', () => {
  it('loads in plain Node: no file needs the Workers runtime', async () => {
    const lib = sources.filter((file) => file.startsWith('lib/'))
    expect(lib.length).toBeGreaterThan(20)
    for (const file of lib) {
      expect(text.get(file), file).not.toMatch(/from\s+['"]cloudflare:/)
      const module = await import(/* @vite-ignore */ path.join(SRC, file))
      expect(Object.keys(module).length, file).toBeGreaterThan(0)
    }
  })
})
