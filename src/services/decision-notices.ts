import type { Database } from '../db/client'
import type { JoinRequest } from '../db/schema'
import type { Config } from '../lib/config'
import type { Lang } from '../lib/i18n'
import { sendCommunityTemplate, sendWhatsAppReply } from '../platforms/whatsapp/replies'
import { logError } from '../lib/log'
import { reachableAfterStop, stopsOf } from './opt-outs'
import { consentStands } from './consent'
import { chatLinkSetUp, ownStatusLink, repliesIn, signUpLanguage } from './whatsapp-words'

/**
 * Telling an applicant how an admin decided, through the contact they confirmed, and only that:
 *
 * - **A confirmed phone number** hears it on WhatsApp. Within 24 hours of the person's own
 *   message to the business number (their confirmation message or button tap: Meta's
 *   customer-service window) as a free-form text in the language they signed up in, an approval
 *   with the link to their status page, where the way into the group is, if they proved they
 *   hold it (`ownStatusLink` in services/whatsapp-words.ts); after that only through an approved
 *   template (`WHATSAPP_APPROVED_TEMPLATE`, `WHATSAPP_REJECTED_TEMPLATE`; the community's name is
 *   their one parameter; in the sign-up's language where the templates are approved in it), since
 *   Meta refuses free-form messages outside the window; without a template, not at all (the
 *   status page still shows the decision).
 * - **A confirmed e-mail address** hears it from the operator's own mail system, which receives
 *   `join.approved` / `join.rejected` with the applicant's name, address and the community's name
 *   (services/joining.ts). Those events carry no status link: whoever confirmed the address may
 *   not be whoever typed it into the form and holds that page.
 * - **An unconfirmed contact** hears nothing, ever; nor does a number that sent STOP after it
 *   was proven (services/opt-outs.ts).
 */

/** Meta's customer-service window, opened by a message from the person. */
export const SERVICE_WINDOW_MS = 24 * 3600_000

export type DecisionNotice =
  | { kind: 'text'; to: string; text: string }
  | { kind: 'template'; to: string; template: string; communityName: string; lang: Lang | null }

/**
 * The WhatsApp message that tells the applicant of a decided `request` at `now`, or null when
 * none may or can go: no confirmed phone number, or outside the window without a template.
 */
async function decisionNotice(
  db: Database,
  config: Config,
  request: JoinRequest,
  community: { name: string; consent: string },
  now: Date,
): Promise<DecisionNotice | null> {
  const asksForProof = community.consent === 'double'
  const consent = consentStands(request.phoneConfirmedAt, request.phoneConsentMethod, asksForProof)
  if (request.status === 'pending' || !request.phone || !request.phoneConfirmedAt || !consent) {
    return null
  }
  const communityName = community.name
  const approved = request.status === 'approved'
  const theyWrote =
    request.phoneConsentMethod === 'whatsapp_message' ||
    request.phoneConsentMethod === 'whatsapp_button'
  if (theyWrote && now.getTime() - request.phoneConfirmedAt.getTime() < SERVICE_WINDOW_MS) {
    const lang = signUpLanguage(request)
    const replies = repliesIn(config, lang)
    const text = approved
      ? replies.approved(
          communityName,
          await ownStatusLink(config, request, request.phoneConsentMethod, lang),
          await chatLinkSetUp(db, config, request),
        )
      : replies.rejected(communityName, request.reason)
    return { kind: 'text', to: request.phone, text }
  }
  const template = approved ? config.WHATSAPP_APPROVED_TEMPLATE : config.WHATSAPP_REJECTED_TEMPLATE
  if (!template) return null
  return {
    kind: 'template',
    to: request.phone,
    template,
    communityName,
    lang: signUpLanguage(request),
  }
}

/**
 * Tells the applicant of a request just decided (see above). Meant to run after the answer to the
 * admin (`waitUntil`): a message that fails is logged, never retried, and never undoes the
 * decision, which the status page shows either way.
 */
export async function tellApplicant(
  db: Database,
  config: Config,
  request: JoinRequest,
  now: Date,
): Promise<void> {
  if (!request.phone || !request.phoneConfirmedAt) return
  try {
    // A number that sent STOP since it was proven hears nothing, not even the approval.
    const stop = (await stopsOf(db, [request.phone])).get(request.phone)
    if (!reachableAfterStop(stop, request)) return
    const community = await db.query.communities.findFirst({
      where: (c, { eq }) => eq(c.id, request.communityId),
    })
    const notice = community ? await decisionNotice(db, config, request, community, now) : null
    if (notice?.kind === 'text') await sendWhatsAppReply(config, notice.to, notice.text)
    if (notice?.kind === 'template') {
      const { to, template, communityName, lang } = notice
      await sendCommunityTemplate(config, to, template, communityName, lang)
    }
  } catch (error) {
    logError({ notice: 'failed', joinRequest: request.id }, error)
  }
}
