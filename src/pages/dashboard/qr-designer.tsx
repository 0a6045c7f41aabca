import { z } from 'zod'
import type { InviteQrDesign } from '../../db/schema'
import type { FieldMessages } from '../../lib/field-errors'
import type { Lang } from '../../lib/i18n'
import { QR_ERROR_LEVELS, QR_STYLES } from '../../lib/qr'
import { HexColor } from '../../schemas/public'
import {
  DEFAULT_QR_DESIGN,
  qrColourProblem,
  qrLogoProblem,
  type QrDesignInput,
} from '../../services/qr-designs'
import { Csrf, words } from '../../views/dashboard'
import { fieldAttributes, sentText, type FormState } from '../../views/form-fields'

const QrDesignForm = z.object({
  fg: HexColor,
  bg: HexColor,
  margin: z.coerce.number().int().min(0).max(16),
  level: z.enum(QR_ERROR_LEVELS),
  style: z.enum(QR_STYLES),
})

/** The design form as sent: what to save, or what is wrong with it in the page's words. */
export async function readQrDesignForm(
  lang: Lang,
  form: Record<string, unknown>,
): Promise<{ values: FormState['values']; input?: QrDesignInput; errors?: FieldMessages }> {
  const t = words(lang)
  const text = (key: string) => (typeof form[key] === 'string' ? (form[key] as string) : '')
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
  } else if (form.removeLogo === '1') logo = null
  return { values, input: { ...parsed.data, logo } }
}

/**
 * The QR designer: colours, margin, error correction, module shape and a logo, with a preview
 * that follows the fields as they change (a small script) or on "Preview" without script.
 */
export function QrDesigner(props: {
  lang: Lang
  code: string
  design: InviteQrDesign | null
  form: (FormState & { preview?: boolean }) | undefined
  action: string
  csrf: string
}) {
  const t = words(props.lang)
  const saved = props.design ?? DEFAULT_QR_DESIGN
  const form = props.form
  const value = (field: 'fg' | 'bg' | 'margin' | 'level' | 'style') =>
    sentText(form, field, String(saved[field]))
  const colour = (field: 'fg' | 'bg') => `#${value(field).replace('#', '')}`
  const base = `/i/${props.code}/qr.svg`
  const version = props.design ? props.design.updatedAt.getTime().toString(36) : ''
  const shown =
    form?.preview && Object.keys(form.errors).length === 0
      ? `${base}?${new URLSearchParams({
          ...(version ? { v: version } : {}),
          size: '240',
          fg: value('fg').replace('#', ''),
          bg: value('bg').replace('#', ''),
          margin: value('margin'),
          level: value('level'),
          style: value('style'),
        })}`
      : `${base}?size=240${version ? `&v=${version}` : ''}`
  const error = (field: string) =>
    form?.errors[field] ? (
      <p id={`${field}-error`} class="err">
        {form.errors[field]}
      </p>
    ) : null
  return (
    <section id="qr-design">
      <h2>{t.qrDesign}</h2>
      <img
        id="qr-preview"
        src={shown}
        data-base={base}
        alt={t.qrPreviewAlt}
        width="240"
        height="240"
      />
      <form
        method="post"
        action={props.action}
        enctype="multipart/form-data"
        data-qr-preview="qr-preview"
      >
        <Csrf token={props.csrf} />
        {version && <input type="hidden" name="v" value={version} />}
        <p class="muted" id="qr-contrast-hint">
          {t.qrContrastHint}
        </p>
        <div class="grid">
          <div>
            <label for="fg">{t.qrForeground}</label>
            <input
              id="fg"
              name="fg"
              type="color"
              {...fieldAttributes(form, 'fg', { withValue: false, hint: 'qr-contrast-hint' })}
              value={colour('fg')}
            />
            {error('fg')}
          </div>
          <div>
            <label for="bg">{t.qrBackground}</label>
            <input
              id="bg"
              name="bg"
              type="color"
              {...fieldAttributes(form, 'bg', { withValue: false, hint: 'qr-contrast-hint' })}
              value={colour('bg')}
            />
            {error('bg')}
          </div>
          <div>
            <label for="margin">{t.qrMargin}</label>
            <input
              id="margin"
              name="margin"
              type="number"
              min={0}
              max={16}
              {...fieldAttributes(form, 'margin', { withValue: false })}
              value={value('margin')}
            />
            {error('margin')}
          </div>
          <div>
            <label for="level">{t.qrLevel}</label>
            <select
              id="level"
              name="level"
              {...fieldAttributes(form, 'level', { withValue: false })}
            >
              {QR_ERROR_LEVELS.map((level) => (
                <option selected={level === value('level')}>{level}</option>
              ))}
            </select>
          </div>
          <div>
            <label for="style">{t.qrStyle}</label>
            <select
              id="style"
              name="style"
              {...fieldAttributes(form, 'style', { withValue: false })}
            >
              {QR_STYLES.map((style) => (
                <option value={style} selected={style === value('style')}>
                  {t.qrStyles[style]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="logo">{t.qrLogo}</label>
            <input
              id="logo"
              name="logo"
              type="file"
              accept="image/png"
              {...fieldAttributes(form, 'logo', { withValue: false, hint: 'logo-hint' })}
            />
            <div id="logo-hint" class="muted">
              {t.qrLogoHint}
            </div>
            {error('logo')}
            {props.design?.logoPng && (
              <p>
                {t.qrLogoSet}{' '}
                <label class="check">
                  <input type="checkbox" name="removeLogo" value="1" /> {t.removeLogo}
                </label>
              </p>
            )}
          </div>
        </div>
        <p>
          <button type="submit" name="intent" value="preview" class="secondary">
            {t.qrPreview}
          </button>{' '}
          <button type="submit" name="intent" value="save">
            {t.saveDesign}
          </button>
        </p>
      </form>
    </section>
  )
}
