import type { RewardRule } from '../../db/schema'
import { formatNumber, REWARD_WORDS, type Lang } from '../../lib/i18n'
import { formatMoment } from '../../lib/time'
import {
  Field,
  fieldAttributes,
  sentText,
  TextArea,
  TextField,
  type FormState,
} from '../form-fields'
import { ActionButton } from './frame'
import { Csrf, words } from './shell'

/** What a community's rewards page shows, read and decided by its handler. */
export interface RewardsView {
  lang: Lang
  communityId: string
  timeZone: string
  csrf: string
  /** The live rules, lowest threshold first. */
  rules: RewardRule[]
  /** The rewards earned lately, newest first. */
  earned: Array<{ id: string; memberName: string; title: string; earnedAt: Date }>
  /** Whether this admin may add and retire rules. */
  manage: boolean
  actionPath: (path: string) => string
  /** The add form as sent, after a refusal. */
  form: FormState | undefined
}

/** Rewards for referrals: the ladder of rules, adding and retiring them, and who earned what. */
export function RewardsPage(props: RewardsView) {
  const l = props.lang
  const r = REWARD_WORDS[l]
  const t = words(l)
  const { form, csrf } = props
  const base = `/admin/communities/${props.communityId}/rewards`
  return (
    <>
      <section>
        <h2>{r.heading}</h2>
        <p class="muted">{r.text}</p>
        {props.rules.length === 0 ? (
          <p class="muted">{r.none}</p>
        ) : (
          <table class="cards">
            <thead>
              <tr>
                <th>{r.people}</th>
                <th>{r.reward}</th>
                <th>{r.code}</th>
                <th>{r.counted}</th>
                {props.manage && <th />}
              </tr>
            </thead>
            <tbody>
              {props.rules.map((rule) => (
                <tr>
                  <td data-label={r.people}>{formatNumber(l, rule.threshold)}</td>
                  <td data-label={r.reward}>
                    <div class="g">
                      <bdi>{rule.title}</bdi>
                    </div>
                    {rule.description && (
                      <div class="muted">
                        <bdi>{rule.description}</bdi>
                      </div>
                    )}
                  </td>
                  <td data-label={r.code}>{rule.code ? <code>{rule.code}</code> : '–'}</td>
                  <td data-label={r.counted}>
                    {rule.minRetentionDays > 0
                      ? r.afterDays(formatNumber(l, rule.minRetentionDays))
                      : r.atOnce}
                  </td>
                  {props.manage && (
                    <td>
                      <ActionButton
                        action={props.actionPath(`${base}/${rule.id}/retire`)}
                        csrf={csrf}
                        label={r.retire}
                        kind="secondary"
                        confirm={r.confirmRetire}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {props.manage && (
        <section>
          <h2>{r.add}</h2>
          <form method="post" action={props.actionPath(base)}>
            <Csrf token={csrf} />
            <div class="grid">
              <TextField
                form={form}
                field="threshold"
                label={r.thresholdField}
                type="number"
                min={1}
                max={100000}
                required
                value={sentText(form, 'threshold')}
              />
              <TextField
                form={form}
                field="title"
                label={r.titleField}
                required
                maxlength={100}
                value={sentText(form, 'title')}
              />
              <TextField
                form={form}
                field="code"
                label={r.codeField}
                maxlength={100}
                autocomplete="off"
                value={sentText(form, 'code')}
              />
              <TextField
                form={form}
                field="minRetentionDays"
                label={r.daysField}
                type="number"
                min={0}
                max={365}
                value={sentText(form, 'minRetentionDays', '0')}
              />
            </div>
            <Field form={form} field="description" label={r.descriptionField}>
              <TextArea
                id="description"
                name="description"
                rows={2}
                maxlength={500}
                {...fieldAttributes(form, 'description', { withValue: false })}
                text={sentText(form, 'description')}
              />
            </Field>
            <p>
              <button type="submit">{r.add}</button>
            </p>
          </form>
        </section>
      )}
      <section>
        <h2>{r.earnedHeading}</h2>
        {props.earned.length === 0 ? (
          <p class="muted">{t.noRewards}</p>
        ) : (
          <ul>
            {props.earned.map((reward) => (
              <li>
                <bdi>{reward.memberName}</bdi>: <bdi>{reward.title}</bdi> ·{' '}
                <time datetime={reward.earnedAt.toISOString()}>
                  {formatMoment(l, reward.earnedAt, props.timeZone)}
                </time>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  )
}
