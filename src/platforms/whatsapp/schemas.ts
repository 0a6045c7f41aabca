import { z } from 'zod'
import { cleanText } from '../../lib/text'
import { notAhead } from '../../lib/time'

/**
 * Meta's `whatsapp_business_account` notifications, as far as we act on them: message
 * statuses, messages people send, and marketing preferences. Everything else (unknown fields,
 * other `field`s, other message types) passes through untouched and is ignored. A field that is
 * only read with a fallback (a time, an error's code and title) is parsed on its own, so that an
 * odd one costs only itself, not the status, the STOP or the preference it came with.
 */
const ErrorSchema = z.looseObject({
  code: z.number().int().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
})

const StatusSchema = z.looseObject({
  id: z.string().min(1).max(200),
  status: z.string().max(40),
})

const MessageSchema = z.looseObject({
  id: z.string().min(1).max(200),
  from: z.string().regex(/^\d{6,15}$/),
  type: z.string().max(40),
  text: z.looseObject({ body: z.string().max(4096) }).optional(),
  button: z
    .looseObject({
      text: z.string().max(1000).optional(),
      payload: z.string().max(1000).optional(),
    })
    .optional(),
  interactive: z
    .looseObject({
      button_reply: z
        .looseObject({ id: z.string().max(256), title: z.string().max(256) })
        .optional(),
    })
    .optional(),
})

/** Unix seconds; Meta writes them as strings in messages and as numbers in preferences. */
const SecondsSchema = z.union([
  z.number().int().min(0).max(1e11),
  z
    .string()
    .regex(/^\d{1,11}$/)
    .transform(Number),
])

const PreferenceSchema = z.looseObject({
  wa_id: z.string().regex(/^\d{6,15}$/),
  category: z.string().max(60),
  value: z.string().max(20),
})

function titleOf(value: string | undefined): string | null {
  const title = value === undefined ? '' : cleanText(value).trim().slice(0, 200)
  return title || null
}

/**
 * Parses a list (entries, changes, a change's items), keeping what is valid: one bad item does
 * not hide the others.
 */
function itemsOf<T>(schema: z.ZodType<T>, value: unknown): T[] {
  if (!Array.isArray(value)) return []
  return value.slice(0, 1000).flatMap((item) => {
    const parsed = schema.safeParse(item)
    return parsed.success ? [parsed.data] : []
  })
}

/**
 * The envelope only: its entries and their changes are parsed one by one (`itemsOf`), as the
 * items in them are, so that a malformed entry or change does not hide the good ones beside it.
 */
export const NotificationSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.unknown()),
})

const EntrySchema = z.looseObject({ changes: z.array(z.unknown()) })

const ChangeSchema = z.looseObject({ field: z.string(), value: z.unknown() })

/** One thing to apply, as it travels through the inbound queue. */
export const InboundItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('status'),
    wamid: z.string().min(1).max(200),
    status: z.enum(['sent', 'delivered', 'read', 'failed']),
    errorCode: z.number().int().nullable(),
    errorTitle: z.string().max(500).nullable(),
    /**
     * Meta's time of the status, in Unix seconds: when the message was delivered or read, not
     * when we heard of it. Absent in items queued before it was kept; those take the time they
     * are handled.
     */
    timestamp: z.number().int().min(0).max(1e11).optional(),
  }),
  z.object({
    kind: z.literal('message'),
    wamid: z.string().min(1).max(200),
    from: z.string().regex(/^\d{6,15}$/),
    type: z.string().max(40),
    text: z.string().max(4096),
    /**
     * Meta's time of the message, in Unix seconds: a STOP or START acts in this order among the
     * number's opt-outs and opt-ins, not in arrival order. Absent in items queued before it was
     * kept; those count as sent when they are handled.
     */
    timestamp: z.number().int().min(0).max(1e11).optional(),
  }),
  z.object({
    kind: z.literal('preference'),
    waId: z.string().regex(/^\d{6,15}$/),
    value: z.enum(['stop', 'resume']),
    /** Meta's time of the change, in Unix seconds. */
    timestamp: z.number().int().min(0).max(1e11),
  }),
])
export type InboundItem = z.infer<typeof InboundItemSchema>

/** The items of a notification we act on, in the order Meta listed them. */
export function inboundItems(
  notification: z.infer<typeof NotificationSchema>,
  receivedAt: Date,
): InboundItem[] {
  const items: InboundItem[] = []
  // Meta's time of an item (`notAhead` of ours), or when it was received where it has none or
  // one that is no time.
  const received = Math.floor(receivedAt.getTime() / 1000)
  const timeOf = (value: unknown) => {
    const parsed = SecondsSchema.safeParse(value)
    return parsed.success ? notAhead(parsed.data, received) : received
  }
  for (const entry of itemsOf(EntrySchema, notification.entry)) {
    for (const change of itemsOf(ChangeSchema, entry.changes)) {
      const value = (change.value ?? {}) as Record<string, unknown>
      if (change.field === 'messages') {
        for (const status of itemsOf(StatusSchema, value.statuses)) {
          const error = ErrorSchema.safeParse(
            Array.isArray(status.errors) ? status.errors[0] : undefined,
          ).data
          const parsed = InboundItemSchema.safeParse({
            kind: 'status',
            wamid: status.id,
            status: status.status,
            errorCode: error?.code ?? null,
            // Meta's documented title of the code, cleaned like any text from outside.
            errorTitle: titleOf(error?.title ?? error?.message),
            timestamp: timeOf(status.timestamp),
          })
          if (parsed.success) items.push(parsed.data)
        }
        for (const message of itemsOf(MessageSchema, value.messages)) {
          const text =
            message.text?.body ??
            message.button?.payload ??
            message.button?.text ??
            message.interactive?.button_reply?.title ??
            ''
          items.push({
            kind: 'message',
            wamid: message.id,
            from: message.from,
            type: message.type,
            text,
            timestamp: timeOf(message.timestamp),
          })
        }
      } else if (change.field === 'user_preferences') {
        for (const preference of itemsOf(PreferenceSchema, value.user_preferences)) {
          if (preference.category !== 'marketing_messages') continue
          if (preference.value !== 'stop' && preference.value !== 'resume') continue
          // When the person changed it: preferences are applied in this order, not in arrival
          // order. Meta documents it; should one come without, or with one that is no time, it
          // counts as received now, since a stop must never be dropped.
          items.push({
            kind: 'preference',
            waId: preference.wa_id,
            value: preference.value,
            timestamp: timeOf(preference.timestamp),
          })
        }
      }
    }
  }
  return items
}
