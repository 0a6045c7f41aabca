import { timingSafeEqual } from 'node:crypto'

/**
 * workerd's one extension of Web Crypto that src/lib uses (`crypto.subtle.timingSafeEqual`, in
 * crypto.ts), given to Node from node:crypto so the lib tests run the same code.
 */
const bytes = (data: ArrayBuffer | ArrayBufferView) =>
  ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data)

if (!('timingSafeEqual' in crypto.subtle)) {
  Object.defineProperty(crypto.subtle, 'timingSafeEqual', {
    value: (a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView) =>
      timingSafeEqual(bytes(a), bytes(b)),
  })
}
