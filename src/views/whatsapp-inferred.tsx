import { DASHBOARD_WORDS, type Lang } from '../lib/i18n'

/**
 * Whether any of these groups is on WhatsApp (not linked to a Telegram chat): there, who is in a
 * group is what our own forms and messages saw, never what the chat itself holds.
 */
export function onWhatsApp(
  groups: ReadonlyArray<{ telegramChatId: number | null; chatInviteUrl: string | null }>,
): boolean {
  // A group without a chat yet counts as WhatsApp's, the default, unless others of these are on
  // Telegram: then it is the Telegram community's group that has no chat of its own (its
  // announcement group, say), whose members the bot sees join through the others.
  const telegram = groups.some((group) => group.telegramChatId !== null)
  return groups.some(
    (group) => group.telegramChatId === null && (!telegram || group.chatInviteUrl !== null),
  )
}

/**
 * Said wherever joins, member counts, retention or leaves of a WhatsApp group are shown: they
 * are inferred from our forms and the members' replies (PRODUCT.md, "What we can see"). Not
 * shown for Telegram, whose figures the bot observes (`TelegramSeen`).
 */
export function WhatsAppInferredNote(props: { lang: Lang }) {
  return <p class="muted whatsapp-inferred">{DASHBOARD_WORDS[props.lang].whatsappInferred}</p>
}
