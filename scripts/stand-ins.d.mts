/** The chats, invite links and waiting join requests the bot had before the stand-in started. */
export interface KnownTelegram {
  chats?: Array<{ chatId: number; title: string }>
  links?: Array<{
    url: string
    chatId: number
    name?: string
    createsJoinRequest: boolean | number
  }>
  waiting?: Array<{
    chatId: number
    userId: number
    firstName: string
    lastName?: string | null
    username?: string | null
    languageCode?: string | null
    /** The invite link the request came through, if the bot made it. */
    url?: string | null
  }>
}

/** Starts the local stand-ins (see stand-ins.mjs). */
export function startStandIns(options: {
  port?: number
  exactPort?: boolean
  avoid?: number[]
  workerUrl: string
  secrets?: string[]
  telegramToken?: string
  log?: (line: string) => void
}): Promise<{
  url: string
  trust: (secret: string) => void
  adoptTelegram: (known: KnownTelegram) => void
  close: () => Promise<void>
}>
