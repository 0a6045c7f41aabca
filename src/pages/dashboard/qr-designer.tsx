import { z } from 'zod'
import type { FieldMessages } from '../../lib/field-errors'
import type { Lang } from '../../lib/i18n'
import { QR_ERROR_LEVELS, QR_STYLES } from '../../lib/qr'
import { HexColor } from '../../schemas/public'
import {
  keptLogoOf,
  qrColourProblem,
  qrLogoProblem,
  type QrDesignInput,
} from '../../services/qr-designs'
import { words } from '../../views/dashboard/shell'
import type { FormState } from '../../views/form-fields'
import { formString } from './page'

const QrDesignForm = z.object({
  fg: HexColor,
  bg: HexColor,
  // An emptied number field is a margin not chosen, not a margin of 0.
  margin: z
    .string()
    .regex(/^\d{1,2}$/)
    .transform(Number)
    .pipe(z.number().max(16)),
  level: z.enum(QR_ERROR_LEVELS),
  style: z.enum(QR_STYLES),
})

/** Whether a QR design form carries a logo to decode: a file chosen, or one a preview kept. */
export function carriesLogo(form: Record<string, unknown>): boolean {
  return (
    (form.logo instanceof File && form.logo.size > 0) ||
    (typeof form.keptLogo === 'string' && form.keptLogo !== '')
  )
}

/** The design form as sent: what to save, or what is wrong with it in the page's words. */
export async function readQrDesignForm(
  lang: Lang,
  form: Record<string, unknown>,
): Promise<{ values: FormState['values']; input?: QrDesignInput; errors?: FieldMessages }> {
  const t = words(lang)
  const text = (key: string) => formString(form, key) ?? ''
  const values = Object.fromEntries(
    ['fg', 'bg', 'margin', 'level', 'style'].map((key) => [key, text(key)]),
  )
  const parsed = QrDesignForm.safeParse(values)
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => String(issue.path[0]))
    return { values, errors: Object.fromEntries(fields.map((f) => [f, t.checkField])) }
  }
  const colours = qrColourProblem(parsed.data.fg, parsed.data.bg)
  if (colours) {
    const ratio = new Intl.NumberFormat(lang).format(colours.ratio)
    const message = colours.kind === 'inverted' ? t.qrInverted : t.qrContrastTooLow(ratio)
    return { values, errors: { fg: message } }
  }
  let logo: Uint8Array | null | undefined
  const file = form.logo
  if (file instanceof File && file.size > 0) {
    logo = new Uint8Array(await file.arrayBuffer())
    if (await qrLogoProblem(logo)) return { values, errors: { logo: t.qrLogoRefused } }
  } else if (form.removeLogo === '1') {
    logo = null
  } else if (typeof form.keptLogo === 'string' && form.keptLogo !== '') {
    // A logo chosen before a preview, carried by the page (a browser empties a file field when
    // it shows a page again): checked again, as if uploaded now.
    const kept = keptLogoOf(form.keptLogo)
    if (!kept || (await qrLogoProblem(kept))) return { values, errors: { logo: t.qrLogoRefused } }
    logo = kept
  }
  return { values, input: { ...parsed.data, logo } }
}
