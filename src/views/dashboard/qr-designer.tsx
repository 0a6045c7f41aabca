import type { InviteQrDesign } from '../../db/schema'
import type { Lang } from '../../lib/i18n'
import { QR_ERROR_LEVELS, QR_STYLES } from '../../lib/qr'
import { DEFAULT_QR_DESIGN, MAX_LOGO_BYTES } from '../../services/qr-designs'
import { Csrf, words } from './shell'
import { Field, fieldAttributes, sentText, TextField, type FormState } from '../form-fields'

/** The side of the designer's preview, in pixels. */
export const QR_PREVIEW_SIZE = 240

/**
 * The designer's form as sent back: refused, or for a preview (`preview`), then with a logo
 * chosen but not saved drawn into it (`previewSrc`) and carried to the save (`keptLogo`).
 */
export type QrDesignForm = FormState & { preview?: boolean; previewSrc?: string; keptLogo?: string }

/**
 * The QR designer: colours, margin, error correction, module shape and a logo, with a preview
 * that follows the fields as they change (a small script) or on "Preview" without script.
 */
export function QrDesigner(props: {
  lang: Lang
  code: string
  design: InviteQrDesign | null
  form: QrDesignForm | undefined
  action: string
  csrf: string
}) {
  const t = words(props.lang)
  const saved = props.design ?? DEFAULT_QR_DESIGN
  const form = props.form
  const value = (field: 'fg' | 'bg' | 'margin' | 'level' | 'style') =>
    sentText(form, field, String(saved[field]))
  const logoInUse = Boolean(props.design?.logoPng || form?.keptLogo)
  const colour = (field: 'fg' | 'bg') => `#${value(field).replace('#', '')}`
  const base = `/i/${props.code}/qr.svg`
  const version = props.design ? props.design.updatedAt.getTime().toString(36) : ''
  // A form sent back (a preview, or a save refused for its logo) shows the colours and shape it
  // holds, as its fields do; the saved design only where those were refused.
  const sentDesignShown =
    form !== undefined &&
    (['fg', 'bg', 'margin', 'level', 'style'] as const).every((field) => !form.errors[field])
  const shown =
    form?.previewSrc ??
    (sentDesignShown
      ? `${base}?${new URLSearchParams({
          ...(version ? { v: version } : {}),
          size: '240',
          fg: value('fg').replace('#', ''),
          bg: value('bg').replace('#', ''),
          margin: value('margin'),
          level: value('level'),
          style: value('style'),
        })}`
      : `${base}?size=240${version ? `&v=${version}` : ''}`)
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
      {form !== undefined && !form.previewSrc && !sentDesignShown && (
        <p class="muted">{t.qrPreviewSaved}</p>
      )}
      <form
        method="post"
        action={props.action}
        enctype="multipart/form-data"
        // The script redraws the preview from the saved logo's URL: not over a chosen one.
        data-qr-preview={form?.keptLogo ? undefined : 'qr-preview'}
      >
        <Csrf token={props.csrf} />
        {version && <input type="hidden" name="v" value={version} />}
        <p class="muted" id="qr-contrast-hint">
          {t.qrContrastHint}
        </p>
        {/* Columns wide enough for "Vordergrundfarbe" whole: a browser without hyphenation breaks it anywhere. */}
        <div class="grid wider">
          <TextField
            form={form}
            field="fg"
            label={t.qrForeground}
            type="color"
            describedBy="qr-contrast-hint"
            value={colour('fg')}
          />
          <TextField
            form={form}
            field="bg"
            label={t.qrBackground}
            type="color"
            describedBy="qr-contrast-hint"
            value={colour('bg')}
          />
          <TextField
            form={form}
            field="margin"
            label={t.qrMargin}
            type="number"
            min={0}
            max={16}
            value={value('margin')}
          />
          <Field form={form} field="level" label={t.qrLevel}>
            <select
              id="level"
              name="level"
              {...fieldAttributes(form, 'level', { withValue: false })}
            >
              {/* A logo covers part of the code: it is drawn at H whatever was chosen, so that
                  is what the choice shows while there is one (see the logo's hint). */}
              {QR_ERROR_LEVELS.map((level) => (
                <option
                  selected={level === (logoInUse ? 'H' : value('level'))}
                  disabled={logoInUse && level !== 'H'}
                >
                  {level}
                </option>
              ))}
            </select>
          </Field>
          <Field form={form} field="style" label={t.qrStyle}>
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
          </Field>
          {/* A row of its own: in a narrow column the file picker's name was cut off. */}
          <div class="wide">
            <Field form={form} field="logo" label={t.qrLogo} hint={t.qrLogoHint} bare>
              <input
                id="logo"
                name="logo"
                type="file"
                accept="image/png"
                // Told at once, not after uploading a photo of megabytes.
                data-max-bytes={String(MAX_LOGO_BYTES)}
                data-too-big={t.qrLogoRefused}
                {...fieldAttributes(form, 'logo', { withValue: false, hint: 'logo-hint' })}
              />
            </Field>
            {form?.keptLogo && (
              <p>
                <input type="hidden" name="keptLogo" value={form.keptLogo} />
                {t.qrLogoKept}
              </p>
            )}
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
