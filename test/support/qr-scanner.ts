import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Resvg } from '@resvg/resvg-js'
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader'

const require = createRequire(import.meta.url)
let ready: Promise<unknown> | undefined

/** Loads ZXing's WebAssembly from node_modules (never from a CDN), once per process. */
function loadScanner() {
  ready ??= prepareZXingModule({
    overrides: {
      wasmBinary: readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm')),
    },
    fireImmediately: true,
  })
  return ready
}

/**
 * What a phone's scanner reads from an image (PNG or JPEG bytes): ZXing-C++, a decoder we did not
 * write. Returns the text of every QR code found, so a test can insist on exactly one.
 */
export async function scanQrCodes(image: Uint8Array): Promise<string[]> {
  await loadScanner()
  const results = await readBarcodes(image, { formats: ['QRCode'], tryHarder: true })
  return results.filter((result) => result.isValid).map((result) => result.text)
}

/** Renders an SVG to PNG pixels at `width`, as a browser or print driver would rasterise it. */
export function renderSvg(svg: string | Uint8Array, width: number): Uint8Array {
  const png = new Resvg(Buffer.from(svg), { fitTo: { mode: 'width', value: width } })
    .render()
    .asPng()
  return new Uint8Array(png)
}
