/**
 * Rendered QR images in the Workers Cache API, so a popular code is rendered once per location
 * and a cached answer needs no D1 read at all (that is what keeps the QR route near the speed of
 * a static response).
 *
 * The catch of not reading D1: the cache cannot know that a code was revoked or rotated. Two
 * things bound that: revoke and rotate purge every cached variant of the code in the location
 * that handles them (the variants are listed under one key per code), and entries live at most
 * `QR_EDGE_TTL_SECONDS`, so other locations stop serving a dead code's images within minutes.
 */
export const QR_EDGE_TTL_SECONDS = 300

const ORIGIN = 'https://qr-cache.invalid'

function variantsKey(code: string): string {
  return `${ORIGIN}/${code}/variants`
}

export function qrCacheKey(code: string, variant: string): string {
  return `${ORIGIN}/${code}/${variant}`
}

export async function readCachedQr(key: string): Promise<Response | undefined> {
  return caches.default.match(key)
}

export async function storeCachedQr(code: string, key: string, response: Response): Promise<void> {
  const stored = new Response(response.body, response)
  stored.headers.set('cache-control', `public, max-age=${QR_EDGE_TTL_SECONDS}`)
  const listed = await caches.default.match(variantsKey(code))
  const variants = new Set<string>(listed ? ((await listed.json()) as string[]) : [])
  variants.add(key)
  await Promise.all([
    caches.default.put(key, stored),
    caches.default.put(
      variantsKey(code),
      new Response(JSON.stringify([...variants]), {
        headers: { 'cache-control': `public, max-age=${QR_EDGE_TTL_SECONDS}` },
      }),
    ),
  ])
}

/** Forgets every cached image of a code (in this location). */
export async function purgeCachedQr(code: string): Promise<void> {
  const listed = await caches.default.match(variantsKey(code))
  const variants = listed ? ((await listed.json()) as string[]) : []
  await Promise.all([...variants, variantsKey(code)].map((key) => caches.default.delete(key)))
}
