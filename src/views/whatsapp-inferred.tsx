import { DASHBOARD_WORDS, type Lang } from '../lib/i18n'

/**
 * Whether any of these groups is on WhatsApp (not linked to a Telegram chat): there, who is in a
 * group is what our own forms and messages saw, never what the chat itself holds.
 */
export function onWhatsApp(groups: ReadonlyArray<{ telegramChatId: number | null }>): boolean {
  return groups.some((group) => group.telegramChatId === null)
}

/**
 * Said wherever joins, member counts, retention or leaves of a WhatsApp group are shown: they
 * are inferred from our forms and the members' replies (PRODUCT.md, "What we can see"). Not
 * shown for Telegram, whose figures the bot observes (`TelegramSeen`).
 */
export function WhatsAppInferredNote(props: { lang: Lang }) {
  return <p class="muted whatsapp-inferred">{DASHBOARD_WORDS[props.lang].whatsappInferred}</p>
}
