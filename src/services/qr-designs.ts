import { z } from 'zod'
import { eq } from 'drizzle-orm'
import type { Database } from '../db/client'
import { inviteQrDesigns, invites, type Invite, type InviteQrDesign } from '../db/schema'
import { ApiError } from '../lib/errors'
import { decodePng, isPng, PngError } from '../lib/png'
import {
  contrastRatio,
  relativeLuminance,
  renderQrSvg,
  type QrErrorLevel,
  type QrLogo,
  type QrStyle,
} from '../lib/qr'
import { purgeCachedQr } from './qr-cache'
import { decodeBase64 } from 'hono/utils/encode'
import { base64 } from '../lib/crypto'

/** The design of a link that has none saved: black on white, as every QR code starts. */
export const DEFAULT_QR_DESIGN = {
  fg: '000000',
  bg: 'ffffff',
  margin: 4,
  level: 'M' as QrErrorLevel,
  style: 'square' as QrStyle,
}

/** Scanners need a dark code on a light ground, at this WCAG contrast ratio at least. */
export const MIN_QR_CONTRAST = 4.5
/** A logo as uploaded: a PNG of at most this many bytes and pixels a side. */
export const MAX_LOGO_BYTES = 40 * 1024
export const MAX_LOGO_SIDE = 512

export interface QrDesignInput {
  fg: string
  bg: string
  margin: number
  level: QrErrorLevel
  style: QrStyle
  /** A new logo (PNG bytes), `null` to remove it, left out to keep the saved one. */
  logo?: Uint8Array | null
}

/** Why colours would make an unreadable code, or null when a scanner reads them. */
export function qrColourProblem(
  fg: string,
  bg: string,
): { kind: 'inverted' | 'contrast'; ratio: number } | null {
  const ratio = Math.round(contrastRatio(fg, bg) * 10) / 10
  if (relativeLuminance(fg) >= relativeLuminance(bg)) return { kind: 'inverted', ratio }
  if (contrastRatio(fg, bg) < MIN_QR_CONTRAST) return { kind: 'contrast', ratio }
  return null
}

/** Why an uploaded logo cannot be used, or null. The bytes decide, not the name or type sent. */
export async function qrLogoProblem(bytes: Uint8Array): Promise<string | null> {
  if (bytes.length > MAX_LOGO_BYTES) return `at most ${MAX_LOGO_BYTES / 1024} KB`
  // SVG is refused rather than cleaned: it can carry scripts and outside references.
  if (!isPng(bytes)) return 'a PNG image is needed (SVG and other formats are refused)'
  try {
    await decodePng(bytes, MAX_LOGO_SIDE)
    return null
  } catch (error) {
    if (error instanceof PngError) return error.message
    throw error
  }
}

/**
 * Saves a link's QR design and forgets the images cached for its code, so its QR URLs serve the
 * new design at once here and within the cache's time limits elsewhere (as a revoke does). Colours
 * a scanner cannot read and logos that are not small, sound PNGs are refused, naming the field.
 */
export async function saveQrDesign(
  db: Database,
  invite: Invite,
  input: QrDesignInput,
  now: Date,
  path = 'qrDesign',
): Promise<InviteQrDesign> {
  await assertQrDesignReadable(input, path)
  const { logo, ...fields } = input
  const logoPng = logo === undefined ? undefined : logo === null ? null : base64(logo)
  const row = { ...fields, ...(logoPng === undefined ? {} : { logoPng }), updatedAt: now }
  const [saved] = await db
    .insert(inviteQrDesigns)
    .values({ inviteId: invite.id, logoPng: null, ...row })
    .onConflictDoUpdate({ target: inviteQrDesigns.inviteId, set: row })
    .returning()
  await purgeCachedQr(invite.code)
  return saved!
}

/**
 * Refuses a design a scanner could not read (colours) or a logo that is not a small, sound PNG,
 * naming the field under `path`. Writes nothing, so a request can check before it changes
 * anything.
 */
export async function assertQrDesignReadable(input: QrDesignInput, path: string): Promise<void> {
  const colours = qrColourProblem(input.fg, input.bg)
  if (colours) {
    throw new ApiError('validation_failed', 'A scanner could not read these colours.', {
      errors: [
        {
          path: `${path}.fg`,
          message:
            colours.kind === 'inverted'
              ? 'The foreground must be darker than the background'
              : `Contrast ${colours.ratio}:1; scanners need at least ${MIN_QR_CONTRAST}:1`,
        },
      ],
    })
  }
  if (input.logo) {
    const problem = await qrLogoProblem(input.logo)
    if (problem) {
      throw new ApiError('validation_failed', 'This logo cannot be used.', {
        errors: [{ path: `${path}.logoPng`, message: problem }],
      })
    }
  }
}

export async function getQrDesign(db: Database, inviteId: string): Promise<InviteQrDesign | null> {
  return (
    (await db.query.inviteQrDesigns.findFirst({ where: eq(inviteQrDesigns.inviteId, inviteId) })) ??
    null
  )
}

/** Back to black on white without a logo. */
export async function resetQrDesign(db: Database, invite: Invite): Promise<void> {
  await db.delete(inviteQrDesigns).where(eq(inviteQrDesigns.inviteId, invite.id))
  await purgeCachedQr(invite.code)
}

/** The current invite behind a code with its QR design, in one query: all the QR route needs. */
export async function findQrTarget(
  db: Database,
  code: string,
): Promise<{ invite: Invite; design: InviteQrDesign | null } | null> {
  const [row] = await db
    .select({ invite: invites, design: inviteQrDesigns })
    .from(invites)
    .leftJoin(inviteQrDesigns, eq(inviteQrDesigns.inviteId, invites.id))
    .where(eq(invites.code, code))
    .limit(1)
  return row ?? null
}

/**
 * A saved logo, ready to draw: its PNG bytes and their pixels. One that no longer decodes (saved
 * before a check it would fail now) is left out: a printed code without its logo still scans.
 */
export async function logoOf(design: InviteQrDesign | null): Promise<QrLogo | null> {
  if (!design?.logoPng) return null
  const png = decodeBase64(design.logoPng)
  try {
    return { png, image: await decodePng(png, MAX_LOGO_SIDE) }
  } catch (error) {
    if (error instanceof PngError) return null
    throw error
  }
}

/**
 * A design with a logo chosen but not saved yet, as its preview: an SVG data URL (the page's
 * policy allows `data:` images), since the QR route draws only saved logos. `landingUrl` is the
 * link's, which the code encodes (with `?via=qr`, as the route's).
 */
export async function qrPreviewWithLogo(
  landingUrl: string,
  input: QrDesignInput,
  logo: Uint8Array,
  size: number,
): Promise<string> {
  const svg = renderQrSvg(`${landingUrl}?via=qr`, {
    size,
    margin: input.margin,
    level: input.level,
    style: input.style,
    fg: input.fg,
    bg: input.bg,
    logo: { png: logo, image: await decodePng(logo, MAX_LOGO_SIDE) },
  })
  return `data:image/svg+xml;base64,${base64(new TextEncoder().encode(svg))}`
}

/** A logo carried by the designer's page from a preview: base64, no longer than a logo may be. */
const KeptLogoSchema = z.base64().max(Math.ceil(MAX_LOGO_BYTES / 3) * 4)

/** The logo a designer's page carried from a preview, or null if it is not one. */
export function keptLogoOf(text: string): Uint8Array | null {
  const parsed = KeptLogoSchema.safeParse(text)
  return parsed.success ? decodeBase64(parsed.data) : null
}
