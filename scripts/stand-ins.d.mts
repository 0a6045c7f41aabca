/** The chats and invite links the bot had before the Telegram stand-in started. */
export interface KnownTelegram {
  chats?: Array<{ chatId: number; title: string }>
  links?: Array<{
    url: string
    chatId: number
    name?: string
    createsJoinRequest: boolean | number
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
