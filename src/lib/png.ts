/** Reading the small PNG logos a QR design may carry: enough of PNG for that, and no more. */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** Whether bytes start as a PNG does: the check made on an upload, whatever it claims to be. */
export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((byte, i) => bytes[i] === byte)
}

export interface RgbaImage {
  width: number
  height: number
  /** Four bytes per pixel, row by row. */
  rgba: Uint8Array
}

/** Why a PNG cannot be used, in words for the person who uploaded it. */
export class PngError extends Error {}

/** Bytes in the header chunk: width, height, depth, colour type, compression, filter, interlace. */
const IHDR_LENGTH = 13

/** Channels per pixel by colour type: grey, RGB, palette, grey + alpha, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }

/**
 * Decodes a non-interlaced PNG of 8 bits per channel (any colour type, palette with
 * transparency included) to RGBA. Other PNGs are refused with a `PngError`: logos are small
 * images saved by any editor in this common form.
 */
export async function decodePng(bytes: Uint8Array, maxSide: number): Promise<RgbaImage> {
  if (!isPng(bytes)) throw new PngError('not a PNG image')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let width = 0
  let height = 0
  let colourType = -1
  let palette: Uint8Array = new Uint8Array()
  let transparency: Uint8Array = new Uint8Array()
  const data: Uint8Array[] = []
  for (let offset = 8; offset + 8 <= bytes.length;) {
    const length = view.getUint32(offset)
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8))
    const body = bytes.subarray(offset + 8, offset + 8 + length)
    if (body.length !== length) throw new PngError('the PNG image is cut short')
    if (type === 'IHDR') {
      // Read from the chunk itself: a header cut short must not read what follows it.
      if (length !== IHDR_LENGTH) throw new PngError('the PNG image is damaged')
      width = view.getUint32(offset + 8)
      height = view.getUint32(offset + 12)
      const [depth, colour, , , interlace] = body.subarray(8, 13)
      if (depth !== 8 || interlace !== 0 || CHANNELS[colour!] === undefined) {
        throw new PngError('a PNG of 8 bits per channel, not interlaced, is needed')
      }
      colourType = colour!
    } else if (type === 'PLTE') palette = body
    else if (type === 'tRNS') transparency = body
    else if (type === 'IDAT') data.push(body)
    else if (type === 'IEND') break
    offset += 12 + length
  }
  if (width < 1 || height < 1 || colourType < 0) throw new PngError('not a PNG image')
  if (width > maxSide || height > maxSide) {
    throw new PngError(`at most ${maxSide} by ${maxSide} pixels`)
  }
  const channels = CHANNELS[colourType]!
  const stride = width * channels
  const raw = await inflate(concat(data), (stride + 1) * height)
  const pixels = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const out = pixels.subarray(y * stride, (y + 1) * stride)
    const above = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride)
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? out[i - channels]! : 0
      const up = above[i]!
      const upLeft = i >= channels ? above[i - channels]! : 0
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter]
      if (predictor === undefined) throw new PngError('the PNG image is damaged')
      out[i] = (line[i]! + predictor) & 0xff
    }
  }
  const rgba = new Uint8Array(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    const at = p * channels
    let rgb: number[]
    let alpha = 255
    if (colourType === 3) {
      const index = pixels[at]!
      rgb = [...palette.subarray(index * 3, index * 3 + 3)]
      alpha = transparency[index] ?? 255
    } else if (colourType === 0 || colourType === 4) {
      rgb = [pixels[at]!, pixels[at]!, pixels[at]!]
      if (colourType === 4) alpha = pixels[at + 1]!
    } else {
      rgb = [pixels[at]!, pixels[at + 1]!, pixels[at + 2]!]
      if (colourType === 6) alpha = pixels[at + 3]!
    }
    rgba.set([rgb[0] ?? 0, rgb[1] ?? 0, rgb[2] ?? 0, alpha], p * 4)
  }
  return { width, height, rgba }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/**
 * The image data, inflated: exactly `expected` bytes, or a `PngError`. Inflating stops as soon as
 * there is more than the pixels need, so a few KB that inflate to many MB (a deflate bomb) cost
 * no more memory and time than a sound logo.
 */
async function inflate(data: Uint8Array, expected: number): Promise<Uint8Array> {
  const reader = new Blob([data])
    .stream()
    .pipeThrough(new DecompressionStream('deflate'))
    .getReader()
  try {
    const out = new Uint8Array(expected)
    let size = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (size + value.length > expected) throw new PngError('the PNG image is damaged')
      out.set(value, size)
      size += value.length
    }
    if (size < expected) throw new PngError('the PNG image is cut short')
    return out
  } catch (error) {
    await reader.cancel().catch(() => {})
    if (error instanceof PngError) throw error
    throw new PngError('the PNG image is damaged')
  }
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
