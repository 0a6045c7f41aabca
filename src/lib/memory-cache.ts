/**
 * A small least-recently-used cache with a time to live, held in the isolate's memory. A hit
 * costs no I/O at all, which is what the hot path needs; the price is that each isolate has
 * its own copy, so whatever is kept here may be up to `ttlMs` out of date in other isolates.
 */
export class MemoryCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>()

  constructor(private readonly options: { maxEntries: number; ttlMs: number }) {}

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    this.entries.delete(key)
    if (entry.expires <= now) return undefined
    this.entries.set(key, entry) // most recently used goes last
    return entry.value
  }

  set(key: string, value: V, now = Date.now()): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expires: now + this.options.ttlMs })
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Forgets every key that starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key)
  }
}
