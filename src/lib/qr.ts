import QRCode from 'qrcode'
import type { RgbaImage } from './png'
import { base64 } from './crypto'

export const QR_ERROR_LEVELS = ['L', 'M', 'Q', 'H'] as const
export type QrErrorLevel = (typeof QR_ERROR_LEVELS)[number]

export const QR_STYLES = ['square', 'dots', 'rounded'] as const
export type QrStyle = (typeof QR_STYLES)[number]

/** A logo for the middle of a code: the PNG as uploaded (for SVG) and its pixels (for PNG). */
export interface QrLogo {
  png: Uint8Array
  image: RgbaImage
}

export interface QrOptions {
  /** Width and height of the PNG (and of the SVG's default display size), in pixels. */
  size: number
  /** Quiet zone around the code, in modules. Scanners need about 4. */
  margin: number
  /** Error-correction level; H whenever a logo covers part of the code. */
  level: QrErrorLevel
  /** Foreground and background: six-digit hex colours without `#`. */
  fg: string
  bg: string
  /** The shape of each module; the three finder patterns stay square, as scanners look for them. */
  style?: QrStyle
  logo?: QrLogo | null
}

/**
 * The side of the square left free for a logo, as a share of the code's side: about 5 % of its
 * area, well within what level H restores (some 30 % of the code words), so a scan never depends
 * on the logo.
 */
const LOGO_SHARE = 0.22

interface Matrix {
  size: number
  isDark(x: number, y: number): boolean
  /** Whether a module lies in one of the three finder patterns (7 by 7 in three corners). */
  isFinder(x: number, y: number): boolean
  /** The free square for a logo, in modules: `[start, end)` on both axes, or null. */
  logoBox: [number, number] | null
}

function encode(text: string, options: Pick<QrOptions, 'level' | 'logo'>): Matrix {
  const level = options.logo ? 'H' : options.level
  const { modules } = QRCode.create(text, { errorCorrectionLevel: level })
  const n = modules.size
  const side = Math.max(3, Math.round(n * LOGO_SHARE) | 1)
  const start = Math.floor((n - side) / 2)
  const logoBox: [number, number] | null = options.logo ? [start, start + side] : null
  const inBox = (x: number, y: number) =>
    logoBox !== null && x >= logoBox[0] && x < logoBox[1] && y >= logoBox[0] && y < logoBox[1]
  return {
    size: n,
    logoBox,
    isDark: (x, y) => !inBox(x, y) && modules.data[y * n + x] === 1,
    isFinder: (x, y) => (x < 7 && y < 7) || (x >= n - 7 && y < 7) || (x < 7 && y >= n - 7),
  }
}

/** The outline of one module at (x, y) in the style asked for, as SVG path commands. */
function modulePath(x: number, y: number, style: QrStyle): string {
  if (style === 'dots') return `M${x + 0.05} ${y + 0.5}a.45 .45 0 1 0 .9 0a.45 .45 0 1 0 -.9 0z`
  const r = 0.3
  return (
    `M${x + r} ${y}h${1 - 2 * r}a${r} ${r} 0 0 1 ${r} ${r}v${1 - 2 * r}a${r} ${r} 0 0 1 -${r} ${r}` +
    `h-${1 - 2 * r}a${r} ${r} 0 0 1 -${r} -${r}v-${1 - 2 * r}a${r} ${r} 0 0 1 ${r} -${r}z`
  )
}

/**
 * An SVG drawn from the module matrix: one path. Square modules go in runs (each run of dark
 * modules in a row one rectangle), so even a version-40 code stays small; dots and rounded
 * modules are drawn one by one. A logo sits on the background in the free square in the middle.
 */
export function renderQrSvg(text: string, options: QrOptions): string {
  const matrix = encode(text, options)
  const style = options.style ?? 'square'
  const m = options.margin
  const total = matrix.size + m * 2
  let path = ''
  for (let y = 0; y < matrix.size; y++) {
    for (let x = 0; x < matrix.size; x++) {
      if (!matrix.isDark(x, y)) continue
      if (style !== 'square' && !matrix.isFinder(x, y)) {
        path += modulePath(x + m, y + m, style)
        continue
      }
      let run = 1
      while (
        x + run < matrix.size &&
        matrix.isDark(x + run, y) &&
        (style === 'square' || matrix.isFinder(x + run, y))
      )
        run++
      path += `M${x + m} ${y + m}h${run}v1h-${run}z`
      x += run - 1
    }
  }
  let logo = ''
  if (options.logo && matrix.logoBox) {
    const [start, end] = matrix.logoBox
    const inset = 0.5
    logo =
      `<image x="${start + m + inset}" y="${start + m + inset}" width="${end - start - 2 * inset}" height="${end - start - 2 * inset}" ` +
      `preserveAspectRatio="xMidYMid meet" href="data:image/png;base64,${base64(options.logo.png)}"/>`
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" width="${options.size}" height="${options.size}"${style === 'square' ? ' shape-rendering="crispEdges"' : ''}>` +
    `<rect width="${total}" height="${total}" fill="#${options.bg}"/>` +
    `<path fill="#${options.fg}" d="${path}"/>${logo}</svg>`
  )
}

/**
 * Whether the pixel at (u, v) within a module (each from 0 to 1) is inked in `style`: the whole
 * square, a dot, or a square with rounded corners.
 */
function inked(style: QrStyle, u: number, v: number): boolean {
  if (style === 'square') return true
  const du = u - 0.5
  const dv = v - 0.5
  if (style === 'dots') return du * du + dv * dv <= 0.45 * 0.45
  const r = 0.3
  const cx = Math.max(0, Math.abs(du) - (0.5 - r))
  const cy = Math.max(0, Math.abs(dv) - (0.5 - r))
  return cx * cx + cy * cy <= r * r
}

/**
 * A PNG of exactly `size` by `size` pixels, each pixel taken from the module under it and
 * compressed with the runtime's own deflate: a 1-bit palette image (background, foreground), or
 * with a logo an RGB image, the logo scaled into the free square and laid over the background.
 */
export async function renderQrPng(text: string, options: QrOptions): Promise<Uint8Array> {
  const matrix = encode(text, options)
  const style = options.style ?? 'square'
  const total = matrix.size + options.margin * 2
  const { size } = options
  const colour = Boolean(options.logo)
  const rowBytes = colour ? size * 3 : Math.ceil(size / 8)
  const raw = new Uint8Array((rowBytes + 1) * size)
  const [fg, bg] = [hexToRgb(options.fg), hexToRgb(options.bg)]
  const position = (pixel: number) => (pixel * total) / size - options.margin
  for (let py = 0; py < size; py++) {
    const my = position(py + 0.5)
    const rowStart = py * (rowBytes + 1) + 1 // the first byte of each row is its filter type, 0
    for (let px = 0; px < size; px++) {
      const mx = position(px + 0.5)
      const [x, y] = [Math.floor(mx), Math.floor(my)]
      const dark =
        x >= 0 &&
        y >= 0 &&
        x < matrix.size &&
        y < matrix.size &&
        matrix.isDark(x, y) &&
        (matrix.isFinder(x, y) || inked(style, mx - x, my - y))
      if (!colour) {
        if (dark) raw[rowStart + (px >> 3)]! |= 0x80 >> (px & 7)
      } else raw.set(dark ? fg : bg, rowStart + px * 3)
    }
  }
  if (options.logo && matrix.logoBox) drawLogo(raw, rowBytes, options, matrix.logoBox, position)
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, size)
  view.setUint32(4, size)
  // Bit depth 1 with a palette, or 8 bits per channel RGB; deflate, no filter, no interlace.
  header.set(colour ? [8, 2, 0, 0, 0] : [1, 3, 0, 0, 0], 8)
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...(colour ? [] : [chunk('PLTE', new Uint8Array([...bg, ...fg]))]),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', new Uint8Array()),
  ])
}

/** Scales the logo into the free square (keeping its proportions) over the background. */
function drawLogo(
  raw: Uint8Array,
  rowBytes: number,
  options: QrOptions,
  [start, end]: [number, number],
  position: (pixel: number) => number,
) {
  const { image } = options.logo!
  const bg = hexToRgb(options.bg)
  const inset = 0.5
  const box = end - start - 2 * inset
  const scale = Math.min(box / image.width, box / image.height)
  const [w, h] = [image.width * scale, image.height * scale]
  const left = start + inset + (box - w) / 2
  const top = start + inset + (box - h) / 2
  for (let py = 0; py < options.size; py++) {
    const v = (position(py + 0.5) - top) / h
    if (v < 0 || v >= 1) continue
    for (let px = 0; px < options.size; px++) {
      const u = (position(px + 0.5) - left) / w
      if (u < 0 || u >= 1) continue
      const at = (Math.floor(v * image.height) * image.width + Math.floor(u * image.width)) * 4
      const alpha = image.rgba[at + 3]! / 255
      const offset = py * (rowBytes + 1) + 1 + px * 3
      for (let c = 0; c < 3; c++)
        raw[offset + c] = Math.round(image.rgba[at + c]! * alpha + bg[c]! * (1 - alpha))
    }
  }
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('deflate'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function hexToRgb(hex: string): [number, number, number] {
  const value = Number.parseInt(hex, 16)
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]
}

/** WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white). */
export function contrastRatio(a: string, b: string): number {
  const [lighter, darker] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x)
  return (lighter! + 0.05) / (darker! + 0.05)
}

export function relativeLuminance(hex: string): number {
  const [r, g, b] = hexToRgb(hex).map((channel) => {
    const c = channel / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}
