import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { decodeBase64 } from 'hono/utils/encode'

/** The app's icon: a chat bubble on the brand green. */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0b6e35"/><path d="M16 7c-5 0-9 3.4-9 7.6 0 2.4 1.3 4.5 3.3 5.9L9.5 25l4.6-2.6c.6.1 1.2.2 1.9.2 5 0 9-3.4 9-8S21 7 16 7z" fill="#fff"/><circle cx="12" cy="14.6" r="1.5" fill="#0b6e35"/><circle cx="16" cy="14.6" r="1.5" fill="#0b6e35"/><circle cx="20" cy="14.6" r="1.5" fill="#0b6e35"/></svg>'

/** The same icon as a 32 px PNG, rendered once from the SVG above. */
const ICON_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAACqklEQVR4nMWXPUxTURTHz226SGlodFKMH4lh0BRJDHVSjJOVJlYnFAaMGopRqCYaw0AtAwMOlgCKQaODtYw1YupYwlaDlhod0MSP+DFpSgplMX3+z2tKKrze91r68Uvuzf/c5f7vueed9grKw+Y9ZvubSfcrpLgRtmCUk7ggETab6kaTgWgSscqaAau3tVvJ0F0FPhBWDGyYFCa6lgq8fkIAcXbzTIYeQ1YNk4nOswmRTfvKZ6XCJ18PTp40myx7RX2f4zbu3Ie1qoOa8AtLX+tb6BaMWhBnAwpEzSjKgG2LldrtR8llb6PmxibavW0HVnGZ6RTNfZrHeEPPYi8puZrCqjEMG7jc1kEDJy6Rrc6KSM5wZIqGX01B6WPIwOS5Qeo67IIyTuL7Ip0c79XNhq6BkTPX1dOXwotElM4+uglVGKmBI/sOUeTqfajScY71ojbmobSRGnjQ6aNORztU6QRRlD1BP5Q2UgPvB8P/VXounaELI5hJGueK9evvn3RgyA2ljdTA8mgMc5b8yuavgZHFA87sGlPf78CsjdTAB99z2rV1O1S2qp3jHiiiyJVJzLhfSdy8swmKaGl1mRpvHYfSRmpg+uIdtelshpl3s9Tx8AaUNlID5fgKPMEhehqbgdJGaoDZTBa+/flF+/2noAqja4D7P2fBjt5fDHz3zjEPJX4sIiqMrgGmWBN8cr53vc0ZQwaY/J5QCD71xGyI7kWndX8Dchg2kN8T+Gd3fXud+7hxzQiGDOS+Bk5tD6q6lI0KYchAl8NFDWitE9EQovJiyEAlgQFHnEg5CF0DxELt/5arDxNl5YuiUAPWqoYQtGQWlj0CukZPM3E6FYiFVQMMm0AWAhgVzQSfXAjRzZsjpDUDjHodmbRXIXKXvzDFAjYL43keyH+e/wMGpyKwj8m+8QAAAABJRU5ErkJggg=='

/** An ICO file is a 6-byte header and one 16-byte directory entry in front of the PNG itself. */
function iconIco(): Uint8Array {
  const png = decodeBase64(ICON_PNG_BASE64)
  const ico = new Uint8Array(22 + png.length)
  const view = new DataView(ico.buffer)
  view.setUint16(2, 1, true) // type: icon
  view.setUint16(4, 1, true) // one image
  ico[6] = 32 // width
  ico[7] = 32 // height
  view.setUint16(10, 1, true) // colour planes
  view.setUint16(12, 32, true) // bits per pixel
  view.setUint32(14, png.length, true)
  view.setUint32(18, 22, true) // offset of the image data
  ico.set(png, 22)
  return ico
}

const ICON_ICO = iconIco()
const A_WEEK = 'public, max-age=604800'

/**
 * Landing pages may be crawled for link previews (they carry noindex themselves); private pages
 * and the API are off limits.
 */
const ROBOTS_TXT = [
  'User-agent: *',
  'Disallow: /admin',
  'Disallow: /api/',
  'Disallow: /s/',
  'Disallow: /leave/',
  '',
].join('\n')

/** Files browsers and crawlers ask every site for, so none of them meets a 404. */
export const siteFilesApp = new Hono<AppEnv>()
  .get('/favicon.ico', (c) =>
    c.body(ICON_ICO.slice(), 200, { 'content-type': 'image/x-icon', 'cache-control': A_WEEK }),
  )
  .get('/favicon.svg', (c) =>
    c.body(ICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': A_WEEK }),
  )
  .get('/robots.txt', (c) => c.text(ROBOTS_TXT, 200, { 'cache-control': 'public, max-age=86400' }))
