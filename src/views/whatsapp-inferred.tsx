import { DASHBOARD_WORDS, type Lang } from '../lib/i18n'

type ChatOfGroup = { telegramChatId: number | null; chatInviteUrl: string | null }

/**
 * Whether any of these groups is on WhatsApp: there, who is in a group is what our own forms and
 * messages saw, never what the chat itself holds. A group not linked to a Telegram chat is, but
 * in a community whose chats are on Telegram (`community`: all its groups) only one with a
 * WhatsApp chat link: its announcement group, say, is no chat at all.
 */
export function onWhatsApp(
  groups: ReadonlyArray<ChatOfGroup>,
  community: ReadonlyArray<ChatOfGroup> = groups,
): boolean {
  const onTelegram = community.some((group) => group.telegramChatId !== null)
  return groups.some(
    (group) => group.telegramChatId === null && (!onTelegram || group.chatInviteUrl !== null),
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
