import { Hono, type Context } from 'hono'
import type { z } from 'zod'
import type { AppEnv } from '../env'
import { sha256Hex } from '../lib/crypto'
import { ApiError, fieldErrors } from '../lib/errors'
import { MemoryCache } from '../lib/memory-cache'
import { renderQrPng, renderQrSvg, type QrOptions } from '../lib/qr'
import { inviteStatus } from '../services/invite-status'
import { retiredCode } from '../services/retired-codes'
import {
  DEFAULT_QR_DESIGN,
  findQrTarget,
  logoOf,
  MIN_QR_CONTRAST,
  qrColourProblem,
} from '../services/qr-designs'
import { qrCacheKey, readCachedQr, storeCachedQr, type QrImage } from '../services/qr-cache'
import { inviteUrls } from '../schemas/invites'
import { CodeParamSchema, QrQuerySchema } from '../schemas/public'
import { SecuredHeaders, securedResponse } from '../middleware/security-headers'

export const qrApp = new Hono<AppEnv>()

/** What browsers and CDNs may keep: the bytes for one code and options never change. */
const CLIENT_CACHE_CONTROL = 'public, max-age=86400'

/** A QR image's own headers, with the security headers. */
const IMAGE_HEADERS = new SecuredHeaders({
  'cache-control': CLIENT_CACHE_CONTROL,
  // Marketers put the code on their own sites: the image may be embedded anywhere.
  'cross-origin-resource-policy': 'cross-origin',
})

const utf8 = new TextEncoder()

const CONTENT_TYPES = { svg: 'image/svg+xml', png: 'image/png' } as const
type QrQuery = Omit<z.infer<typeof QrQuerySchema>, 'download'>
type Format = keyof typeof CONTENT_TYPES

qrApp.get('/i/:code/qr.svg', (c) => serveQr(c, 'svg'))
qrApp.get('/i/:code/qr.png', (c) => serveQr(c, 'png'))

/** Longer URLs than any the product makes are answered without being remembered. */
const MAX_KEPT_URL = 300

/**
 * QR codes for print (SVG) and social (PNG). The image encodes the landing URL with `?via=qr`,
 * so scans and clicks are told apart. A cached image is served without touching D1; see
 * `services/qr-cache.ts` for how revoked and rotated codes stop being served.
 */
/**
 * Requests already answered, by their exact URL: the same text always parses to the
 * same options, so a repeat skips validation and goes straight to the cached image.
 */
const answered = new MemoryCache<{ key: string; code: string; size: number; download: boolean }>({
  maxEntries: 2000,
  ttlMs: 60_000,
})

async function serveQr(c: Context<AppEnv>, format: Format): Promise<Response> {
  // Keyed by the URL's text as it came: a repeat builds no URL object.
  const url = c.req.url
  const known = answered.get(url)
  const cached = known && (await readCachedQr(known.key))
  if (known && cached) return respondWithImage(c, cached, { ...known, format })

  const param = CodeParamSchema.safeParse(c.req.param())
  if (!param.success) throw new ApiError('not_found', 'There is no invite link with this code.')
  const query = QrQuerySchema.safeParse(c.req.query())
  if (!query.success) {
    throw new ApiError('validation_failed', 'The QR code options are invalid.', {
      errors: fieldErrors(query.error.issues),
    })
  }
  const { code } = param.data
  const { download, ...options } = query.data
  // Only what the query sets: the rest is the link's design, which a save purges from the cache.
  const variant = `${format}?${Object.entries(options)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('&')}`
  const key = qrCacheKey(code, variant)

  const image = (await readCachedQr(key)) ?? (await renderFresh(c, code, format, options, key))
  if (url.length <= MAX_KEPT_URL) answered.set(url, { key, code, size: options.size, download })
  return respondWithImage(c, image, { code, format, size: options.size, download })
}

async function renderFresh(
  c: Context<AppEnv>,
  code: string,
  format: Format,
  asked: QrQuery,
  key: string,
): Promise<QrImage> {
  const found = await findQrTarget(c.var.db, code)
  if (!found) {
    const retired = await retiredCode(c.var.db, code)
    if (retired?.kind === 'rotated') {
      throw new ApiError('gone', 'This invite link has been replaced by a new code.')
    }
    if (retired?.kind === 'deleted') {
      throw new ApiError('gone', 'The community of this invite link has been deleted.')
    }
    throw new ApiError('not_found', 'There is no invite link with this code.')
  }
  const { invite, design } = found
  const status = inviteStatus(invite, new Date())
  if (status !== 'active')
    throw new ApiError('gone', `This invite link is ${status.replace('_', ' ')}.`)
  const saved = design ?? DEFAULT_QR_DESIGN
  const options: QrOptions = {
    size: asked.size,
    margin: asked.margin ?? saved.margin,
    level: asked.level ?? saved.level,
    style: asked.style ?? saved.style,
    fg: asked.fg ?? saved.fg,
    bg: asked.bg ?? saved.bg,
    logo: await logoOf(design),
  }
  const colours = qrColourProblem(options.fg, options.bg)
  if (colours) {
    throw new ApiError('validation_failed', 'The QR code options are invalid.', {
      errors: [
        {
          path: 'fg',
          message: `Scanners need a dark foreground on a light background with a contrast of at least ${MIN_QR_CONTRAST}:1`,
        },
      ],
    })
  }

  const text = `${inviteUrls(c.var.config.PUBLIC_BASE_URL, code).url}?via=qr`
  // UTF-8 once: a cached SVG is then sent as the same bytes each time, not encoded again.
  const body =
    format === 'svg' ? utf8.encode(renderQrSvg(text, options)) : await renderQrPng(text, options)
  const look = { ...options, logo: design?.logoPng ? design.updatedAt.getTime() : null }
  const etag = `"${(await sha256Hex(`${text}|${JSON.stringify(look)}|${format}`)).slice(0, 32)}"`
  const image = { body, contentType: CONTENT_TYPES[format], etag }
  c.executionCtx.waitUntil(storeCachedQr(code, key, image))
  return image
}

/** Per-request headers on top of the (possibly cached) image: caching, 304s and downloads. */
function respondWithImage(
  c: Context<AppEnv>,
  image: QrImage,
  meta: { code: string; format: Format; size: number; download: boolean },
): Response {
  const headers: Record<string, string> = { 'content-type': image.contentType, etag: image.etag }
  const ifNoneMatch = c.req.header('if-none-match')
  // `*` matches whatever representation there is (RFC 9110, 13.1.2): the image exists here.
  const matches = (tag: string) => tag === '*' || tag.replace(/^W\//, '') === image.etag
  if (ifNoneMatch?.split(',').some((tag) => matches(tag.trim()))) {
    return securedResponse(c, null, 304, IMAGE_HEADERS, headers)
  }
  if (meta.download) {
    const name =
      meta.format === 'png'
        ? `invite-${meta.code}-qr-${meta.size}px.png`
        : `invite-${meta.code}-qr.svg`
    headers['content-disposition'] = `attachment; filename="${name}"`
  }
  return securedResponse(c, image.body, 200, IMAGE_HEADERS, headers)
}
