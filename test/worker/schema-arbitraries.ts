import fc from 'fast-check'
import type { Schema } from './openapi-contract'

/**
 * fast-check arbitraries drawn from the JSON schemas of the OpenAPI document, for the subset it
 * uses: objects, strings (lengths, patterns, formats, enums), integers and numbers with bounds,
 * booleans, arrays, nullable types, `anyOf`/`oneOf`/`allOf`, `const`. Object-level constraints
 * (`minProperties`, `not`, `anyOf`/`oneOf` of `required` lists) are not built in: a value is
 * drawn from the properties, and the test asks the schema (Ajv) whether it holds.
 *
 * `wildness` (0 to 100) is the chance, at every value, of one the schema may well refuse: a
 * wrong type, a bound crossed by one, text that is empty once cleaned, an unknown field. 0 draws
 * only values by the schema's own properties.
 */
export interface ArbitraryOptions {
  resolve: (schema: Schema) => Schema
  wildness: number
  /** Values that exist (ids, invite codes) to prefer for a string schema, by its pattern. */
  known?: (schema: Schema) => string[]
}

const LONGEST_DRAWN = 24

export function arbitraryFor(schema: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const valid = validValue(schema, options)
  if (options.wildness <= 0) return valid
  return fc.oneof(
    { arbitrary: valid, weight: 100 - options.wildness },
    { arbitrary: wildValue(schema, options), weight: options.wildness },
  )
}

/** A schema with its `$ref` resolved and an `allOf` merged into one. */
function flatten(schema: Schema, options: ArbitraryOptions): Schema {
  const resolved = options.resolve(schema)
  if (!resolved.allOf) return resolved
  const { allOf, ...rest } = resolved as { allOf: Schema[] }
  return allOf
    .map((part) => flatten(part, options))
    .reduce<Schema>(
      (merged, part) => ({
        ...merged,
        ...part,
        properties: { ...merged.properties, ...part.properties },
        required: [...(merged.required ?? []), ...(part.required ?? [])],
      }),
      rest,
    )
}

function typesOf(schema: Schema): string[] {
  if (schema.type) return [schema.type].flat()
  if (schema.properties) return ['object']
  return []
}

function validValue(schema: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const s = flatten(schema, options)
  if ('const' in s) return fc.constant(s.const)
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]))
  const alternatives = (s.oneOf ?? s.anyOf) as Schema[] | undefined
  // Alternatives that are whole values (`"announcement"` or `{ groupIds }`), not constraints
  // on an object's properties.
  if (alternatives && !s.properties) {
    return fc.oneof(...alternatives.map((alternative) => arbitraryFor(alternative, options)))
  }
  const types = typesOf(s)
  if (types.length === 0) return fc.jsonValue({ maxDepth: 2 })
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'null':
          return fc.constant(null)
        case 'boolean':
          return fc.boolean()
        case 'integer':
          return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 })
        case 'number':
          return fc.double({
            min: s.minimum ?? -1_000_000,
            max: s.maximum ?? 1_000_000,
            noNaN: true,
          })
        case 'string':
          return stringValue(s, options)
        case 'array':
          return fc.array(arbitraryFor(s.items ?? {}, options), {
            minLength: s.minItems ?? 0,
            maxLength: Math.min(s.maxItems ?? 4, (s.minItems ?? 0) + 4),
          })
        default:
          return objectValue(s, options)
      }
    }),
  )
}

/** Lists of keys an object-level `oneOf` asks for: exactly one of them is to be present. */
function requiredAlternatives(s: Schema): string[][] | undefined {
  const alternatives = s.oneOf as Schema[] | undefined
  if (!alternatives?.every((alternative) => Object.keys(alternative).join() === 'required')) {
    return undefined
  }
  return alternatives.map((alternative) => alternative.required as string[])
}

function objectValue(s: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, Schema>
  const required = (s.required ?? []) as string[]
  const record = (keys: string[], without: string[] = []) =>
    fc.record(
      Object.fromEntries(
        Object.entries(properties)
          .filter(([name]) => !without.includes(name))
          .map(([name, property]) => [name, arbitraryFor(property, options)]),
      ),
      { requiredKeys: keys },
    )
  const alternatives = requiredAlternatives(s)
  const drawn = alternatives
    ? fc.oneof(
        ...alternatives.map((keys) =>
          record(
            [...required, ...keys],
            alternatives.flat().filter((key) => !keys.includes(key)),
          ),
        ),
      )
    : record(required)
  // `not: { required: [a, b] }`: never all of them at once.
  const exclusive = (s.not as Schema | undefined)?.required as string[] | undefined
  if (!exclusive) return drawn
  return drawn.map((value) => {
    if (!exclusive.every((key) => key in value)) return value
    const { [exclusive[exclusive.length - 1]!]: _, ...rest } = value
    return rest
  })
}

/** Code points, as JSON Schema's lengths count them. */
function length(value: string): number {
  return [...value].length
}

function stringValue(s: Schema, options: ArbitraryOptions): fc.Arbitrary<string> {
  const min: number = s.minLength ?? 0
  const max: number = s.maxLength ?? 200
  // The schema's own example is a value that works: drawn now and then, it reaches deeper.
  const known = [
    ...(options.known?.(s) ?? []),
    ...(typeof s.example === 'string' ? [s.example] : []),
  ]
  const drawn = drawnString(s, min, max)
  return known.length > 0
    ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 4 }, { arbitrary: drawn, weight: 1 })
    : drawn
}

function drawnString(s: Schema, min: number, max: number): fc.Arbitrary<string> {
  switch (s.format) {
    case 'date-time':
      return dateTime()
    case 'date':
      return day()
    case 'uri':
      return fc.oneof(
        fc.webUrl({ validSchemes: ['https'] }).filter((url) => url.length <= max),
        fc.constantFrom(
          'https://images.example.com/photo.png',
          'https://chat.whatsapp.com/AbCdEf123456',
          'https://hooks.example.com/community-growth',
        ),
      )
    case 'email':
      return fc.emailAddress().filter((address) => length(address) <= max)
  }
  if (s.pattern) {
    const matching = fc
      .stringMatching(new RegExp(s.pattern, 'u'), { maxLength: Math.min(max, 80) }) // a two-id cursor is 61 characters
      .filter((value) => length(value) >= min && length(value) <= max)
    // An unanchored pattern (a visible character somewhere) leaves the rest free: any text too.
    return s.pattern.startsWith('^')
      ? matching
      : fc.oneof(
          matching,
          freeText(min, max).filter((value) => new RegExp(s.pattern, 'u').test(value)),
        )
  }
  return freeText(min, max)
}

/** Any text within the bounds: mostly short, sometimes exactly as long as allowed. */
function freeText(min: number, max: number): fc.Arbitrary<string> {
  const upTo = Math.max(min, Math.min(max, LONGEST_DRAWN))
  const longest = Math.min(max, 5000)
  return fc.oneof(
    {
      arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: upTo }),
      weight: 4,
    },
    { arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: upTo }), weight: 2 },
    {
      // Characters outside the Basic Multilingual Plane count once, as JSON Schema counts them.
      arbitrary: fc.string({
        unit: fc.constantFrom('a', 'é', '😀', '𝔸', '中'),
        minLength: longest,
        maxLength: longest,
      }),
      weight: 1,
    },
  )
}

/**
 * RFC 3339 date-times, in the spellings JSON Schema's `date-time` admits: with or without
 * fractions, `Z` or an offset (with or without its colon), `T` or `t`, `Z` or `z`.
 */
function dateTime(): fc.Arbitrary<string> {
  const now = Date.now()
  const moment = fc.oneof(
    // Mostly in the future, where schedules and expiries live.
    { arbitrary: fc.integer({ min: now + 3_600_000, max: now + 365 * 86_400_000 }), weight: 3 },
    { arbitrary: fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }), weight: 1 },
  )
  const spelling = fc.constantFrom('ms', 's', '+02:00', '-05:30', '+0100', 'lower')
  return fc.tuple(moment, spelling).map(([at, form]) => {
    const iso = new Date(at).toISOString()
    if (form === 'ms') return iso
    if (form === 's') return `${iso.slice(0, 19)}Z`
    if (form === 'lower') return iso.replace('T', 't').replace('Z', 'z')
    const sign = form.startsWith('-') ? -1 : 1
    const minutes = sign * (Number(form.slice(1, 3)) * 60 + Number(form.slice(-2)))
    return `${new Date(at + minutes * 60_000).toISOString().slice(0, 19)}${form}`
  })
}

function day(): fc.Arbitrary<string> {
  return fc
    .integer({ min: 946_684_800_000, max: 4_102_444_800_000 })
    .map((at) => new Date(at).toISOString().slice(0, 10))
}

/** Something the schema may well refuse: near its bounds, of another type, or just odd. */
function wildValue(schema: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const s = flatten(schema, options)
  const odd: Array<fc.Arbitrary<unknown>> = [
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 8 }),
    fc.constant({}),
    fc.constant([]),
  ]
  const types = typesOf(s)
  if (types.includes('string') && !s.enum) {
    const max: number = s.maxLength ?? 200
    const min: number = s.minLength ?? 0
    odd.push(
      // Empty once cleaned: white space, a bidi mark, control characters.
      fc.constantFrom(' ', '\u200e', ' \t\u0007 ', '\u202e\u2066', ''),
      // One character too many, visible or cleaned away (the limit counts what is sent).
      fc.constantFrom(
        'x'.repeat(max + 1),
        `${'y'.repeat(max)}\u200e`,
        `${'z'.repeat(max - 1)}\u0007\u0007`,
      ),
      fc.constant('w'.repeat(Math.max(0, min - 1))),
      fc.constantFrom(
        '0x10',
        ' 5',
        '1e1',
        '-1',
        'UTC',
        'Mars/Olympus',
        'europe/berlin',
        '2026-02-30',
      ),
    )
  }
  if (types.includes('integer') || types.includes('number')) {
    const bounds = [s.minimum, s.maximum].filter((bound): bound is number => bound !== undefined)
    odd.push(
      fc.constantFrom(...bounds.flatMap((bound) => [bound - 1, bound + 1]), 1.5, -0.5),
      fc.constantFrom('5', '20'),
    )
  }
  if (types.includes('object') && s.properties) {
    const valid = objectValue(s, { ...options, wildness: 0 }) as fc.Arbitrary<
      Record<string, unknown>
    >
    const required = (s.required ?? []) as string[]
    odd.push(valid.map((value) => ({ ...value, unexpected: true })))
    if (required.length > 0) {
      odd.push(
        fc.tuple(valid, fc.constantFrom(...required)).map(([value, key]) => {
          const { [key]: _, ...rest } = value
          return rest
        }),
      )
    }
  }
  if (types.includes('array') && s.maxItems !== undefined) {
    odd.push(
      fc.array(validValue(s.items ?? {}, options), {
        minLength: s.maxItems + 1,
        maxLength: s.maxItems + 1,
      }),
    )
  }
  return fc.oneof(...odd)
}
