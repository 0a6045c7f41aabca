/**
 * A small RGBA PNG for logo tests, written with nothing but the platform's deflate: a coloured
 * square with a lighter ring and transparent corners, as a brand mark might be.
 */
export async function logoPng(side = 64, rgb: [number, number, number] = [200, 30, 60]) {
  const raw = new Uint8Array((side * 4 + 1) * side)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const dx = x - side / 2 + 0.5
      const dy = y - side / 2 + 0.5
      const r = Math.sqrt(dx * dx + dy * dy)
      const inside = r < side / 2
      const ring = r > side / 3
      const at = y * (side * 4 + 1) + 1 + x * 4
      raw.set(ring ? [255, 200, 0, 255] : [...rgb, 255], at)
      if (!inside) raw[at + 3] = 0
    }
  }
  return pngOf(side, side, raw)
}

/**
 * An RGBA PNG of `width` by `height` pixels whose image data is `raw` (filter bytes included),
 * deflated: `raw` need not be the size the pixels take, to make unsound PNGs.
 */
export async function pngOf(width: number, height: number, raw: Uint8Array) {
  const header = new Uint8Array(13)
  new DataView(header.buffer).setUint32(0, width)
  new DataView(header.buffer).setUint32(4, height)
  header.set([8, 6, 0, 0, 0], 8)
  const deflated = new Uint8Array(
    await new Response(
      new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate')),
    ).arrayBuffer(),
  )
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflated),
    chunk('IEND', new Uint8Array()),
  ])
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
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

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
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
