import { MemoryCache } from '../lib/memory-cache'

/**
 * Rendered QR images, kept in two layers so that a popular code is rendered once and a cached
 * answer needs no D1 read (that is what keeps the QR route near the speed of a static
 * response):
 * - the isolate's memory, for `MEMORY_TTL_MS`: a hit costs no I/O at all;
 * - the Workers Cache API, for `QR_EDGE_TTL_SECONDS`: shared by the isolates of a location.
 *
 * Not reading D1 means the cache cannot know that a code was revoked or rotated. Revoke and
 * rotate therefore purge every cached variant of the code where they run (the variants are
 * listed under one key per code), and the time limits bound the rest: elsewhere a dead code's
 * image is served for at most five minutes. The landing page behind the code refuses at once.
 */
export const QR_EDGE_TTL_SECONDS = 300
const MEMORY_TTL_MS = 60_000

const ORIGIN = 'https://qr-cache.invalid'

export interface QrImage {
  body: Uint8Array | string
  contentType: string
  etag: string
}

const memory = new MemoryCache<QrImage>({ maxEntries: 1000, ttlMs: MEMORY_TTL_MS })

function variantsKey(code: string): string {
  return `${ORIGIN}/${code}/variants`
}

export function qrCacheKey(code: string, variant: string): string {
  return `${ORIGIN}/${code}/${variant}`
}

export async function readCachedQr(key: string): Promise<QrImage | undefined> {
  const remembered = memory.get(key)
  if (remembered) return remembered
  const cached = await caches.default.match(key)
  if (!cached) return undefined
  const image = {
    body: new Uint8Array(await cached.arrayBuffer()),
    contentType: cached.headers.get('content-type') ?? 'application/octet-stream',
    etag: cached.headers.get('etag') ?? '',
  }
  memory.set(key, image)
  return image
}

export async function storeCachedQr(code: string, key: string, image: QrImage): Promise<void> {
  memory.set(key, image)
  const cacheControl = `public, max-age=${QR_EDGE_TTL_SECONDS}`
  const listed = await caches.default.match(variantsKey(code))
  const variants = new Set<string>(listed ? ((await listed.json()) as string[]) : [])
  variants.add(key)
  await Promise.all([
    caches.default.put(
      key,
      new Response(image.body, {
        headers: {
          'content-type': image.contentType,
          etag: image.etag,
          'cache-control': cacheControl,
        },
      }),
    ),
    caches.default.put(
      variantsKey(code),
      new Response(JSON.stringify([...variants]), { headers: { 'cache-control': cacheControl } }),
    ),
  ])
}

/** Forgets every cached image of a code (in this isolate and this location). */
export async function purgeCachedQr(code: string): Promise<void> {
  memory.deletePrefix(`${ORIGIN}/${code}/`)
  const listed = await caches.default.match(variantsKey(code))
  const variants = listed ? ((await listed.json()) as string[]) : []
  await Promise.all([...variants, variantsKey(code)].map((key) => caches.default.delete(key)))
}
