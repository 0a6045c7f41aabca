import QRCode from 'qrcode'

export const QR_ERROR_LEVELS = ['L', 'M', 'Q', 'H'] as const
export type QrErrorLevel = (typeof QR_ERROR_LEVELS)[number]

export interface QrOptions {
  /** Width and height of the PNG (and of the SVG's default display size), in pixels. */
  size: number
  /** Quiet zone around the code, in modules. Scanners need about 4. */
  margin: number
  /** Error-correction level. */
  level: QrErrorLevel
  /** Foreground and background: six-digit hex colours without `#`. */
  fg: string
  bg: string
}

interface Matrix {
  size: number
  isDark(x: number, y: number): boolean
}

function encode(text: string, level: QrErrorLevel): Matrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: level })
  return { size: modules.size, isDark: (x, y) => modules.data[y * modules.size + x] === 1 }
}

/**
 * An SVG drawn from the module matrix: one path, each run of dark modules in a row one
 * rectangle, so even a version-40 code stays small.
 */
export function renderQrSvg(text: string, options: QrOptions): string {
  const matrix = encode(text, options.level)
  const total = matrix.size + options.margin * 2
  let path = ''
  for (let y = 0; y < matrix.size; y++) {
    for (let x = 0; x < matrix.size; x++) {
      if (!matrix.isDark(x, y)) continue
      let run = 1
      while (x + run < matrix.size && matrix.isDark(x + run, y)) run++
      path += `M${x + options.margin} ${y + options.margin}h${run}v1h-${run}z`
      x += run - 1
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}" width="${options.size}" height="${options.size}" shape-rendering="crispEdges">` +
    `<rect width="${total}" height="${total}" fill="#${options.bg}"/>` +
    `<path fill="#${options.fg}" d="${path}"/></svg>`
  )
}

/**
 * A PNG of exactly `size` by `size` pixels: a 1-bit palette image (background, foreground),
 * each pixel mapped to the module under it, compressed with the runtime's own deflate.
 */
export async function renderQrPng(text: string, options: QrOptions): Promise<Uint8Array> {
  const matrix = encode(text, options.level)
  const total = matrix.size + options.margin * 2
  const { size } = options
  const rowBytes = Math.ceil(size / 8)
  const raw = new Uint8Array((rowBytes + 1) * size)
  const moduleAt = (pixel: number) => Math.floor((pixel * total) / size) - options.margin
  for (let py = 0; py < size; py++) {
    const my = moduleAt(py)
    const rowStart = py * (rowBytes + 1) // the first byte of each row is its filter type, 0
    for (let px = 0; px < size; px++) {
      const mx = moduleAt(px)
      const dark =
        mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size && matrix.isDark(mx, my)
      if (dark) raw[rowStart + 1 + (px >> 3)]! |= 0x80 >> (px & 7)
    }
  }
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, size)
  view.setUint32(4, size)
  header.set([1, 3, 0, 0, 0], 8) // bit depth 1, colour type 3 (palette), deflate, no filter, no interlace
  const palette = new Uint8Array([...hexToRgb(options.bg), ...hexToRgb(options.fg)])
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('PLTE', palette),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', new Uint8Array()),
  ])
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
