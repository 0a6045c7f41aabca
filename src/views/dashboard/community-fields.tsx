import type { Community } from '../../db/schema'
import { DEFAULT_TIME_ZONE } from '../../lib/time'
import type { Words } from './shell'
import { MEMBER_OFFER_WORDS, type Lang } from '../../lib/i18n'
import {
  Field,
  fieldAttributes,
  sentText,
  TextArea,
  TextField,
  TimeZoneOptions,
  type FormState,
} from '../form-fields'

/** The fields of a community's form, for a new community and the settings alike. */
export const COMMUNITY_FIELDS = [
  'name',
  'description',
  'visibility',
  'consent',
  'photoUrl',
  'joinQuestions',
  'timeZone',
  'memberOffer',
] as const

/** A community's fields: as stored, as sent back after a refusal, or empty for a new one. */
export function CommunityFields(props: {
  t: Words
  lang: Lang
  community?: Community
  form?: FormState
  /** Some of its groups are Telegram chats, whose join requests ask no questions of ours. */
  onTelegram?: boolean
}) {
  const { t, community, form } = props
  const offer = MEMBER_OFFER_WORDS[props.lang]
  const value = (field: (typeof COMMUNITY_FIELDS)[number], stored: string) =>
    sentText(form, field, stored)
  const visibility = value('visibility', community?.visibility ?? 'open')
  const consent = value('consent', community?.consent ?? 'double')
  const zone = value('timeZone', community?.timeZone ?? DEFAULT_TIME_ZONE)
  const attributes = (field: (typeof COMMUNITY_FIELDS)[number], hint?: string) =>
    fieldAttributes(form, field, { withValue: false, hint })
  return (
    <>
      <div class="grid">
        <TextField
          form={form}
          field="name"
          label={t.name}
          required
          maxlength={100}
          value={value('name', community?.name ?? '')}
        />
        <Field form={form} field="visibility" label={t.status}>
          <select id="visibility" name="visibility" {...attributes('visibility')}>
            <option value="open" selected={visibility === 'open'}>
              {t.open}
            </option>
            <option value="closed" selected={visibility === 'closed'}>
              {t.closed}
            </option>
          </select>
        </Field>
        {/* The options stay short, so a phone's select shows them whole; the hint explains. */}
        <Field form={form} field="consent" label={t.consentMode} hint={t.consentModeHint}>
          <select id="consent" name="consent" {...attributes('consent', 'consent-hint')}>
            <option value="double" selected={consent !== 'single'}>
              {t.consentDouble}
            </option>
            <option value="single" selected={consent === 'single'}>
              {t.consentSingle}
            </option>
          </select>
        </Field>
        <TextField
          form={form}
          field="photoUrl"
          label={t.photo}
          type="url"
          value={value('photoUrl', community?.photoUrl ?? '')}
          placeholder="https://"
        />
        <Field form={form} field="timeZone" label={t.timezone} hint={t.timeZoneHint}>
          <select id="timeZone" name="timeZone" {...attributes('timeZone', 'timeZone-hint')}>
            <TimeZoneOptions first={community?.timeZone ?? DEFAULT_TIME_ZONE} selected={zone} />
          </select>
        </Field>
      </div>
      <Field form={form} field="description" label={t.purpose} bare>
        <TextArea
          id="description"
          name="description"
          rows={2}
          maxlength={500}
          {...attributes('description')}
          text={value('description', community?.description ?? '')}
        />
      </Field>
      <Field
        form={form}
        field="joinQuestions"
        label={t.questions}
        hint={props.onTelegram ? t.questionsNotOnTelegram : undefined}
        bare
      >
        <TextArea
          id="joinQuestions"
          name="joinQuestions"
          rows={3}
          {...attributes('joinQuestions', props.onTelegram ? 'joinQuestions-hint' : undefined)}
          text={value('joinQuestions', community?.joinQuestions.join('\n') ?? '')}
        />
      </Field>
      <Field form={form} field="memberOffer" label={offer.label} hint={offer.hint} bare>
        <TextArea
          id="memberOffer"
          name="memberOffer"
          rows={2}
          maxlength={1000}
          {...attributes('memberOffer', 'memberOffer-hint')}
          text={value('memberOffer', community?.memberOffer ?? '')}
        />
      </Field>
    </>
  )
}
