import { describe, expect, it } from 'vitest'
import { textWithName, textWithoutName } from '../../src/lib/name-placeholder'

describe('{name} in an announcement', () => {
  it('is the member’s name, each time it stands, as they gave it', () => {
    expect(textWithName('Hi {name}, we run at 9. See you, {name}!', ' Ada ', 4096)).toBe(
      'Hi Ada, we run at 9. See you, Ada!',
    )
    expect(textWithName('Hallo {name}', 'Jürgen $& Co', 4096)).toBe('Hallo Jürgen $& Co')
    expect(textWithName('No placeholder here', 'Ada', 4096)).toBe('No placeholder here')
    expect(textWithName('{Name} and {NAME} stay', 'Ada', 4096)).toBe('{Name} and {NAME} stay')
  })

  it('is set apart where it is written right to left, so the text around it keeps its order', () => {
    // U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE: invisible, and what keeps
    // the "!" after the name in a left-to-right text.
    expect(textWithName('Hi {name}!', 'דנה', 4096)).toBe('Hi \u2068דנה\u2069!')
    expect(textWithName('مرحبا {name}، أهلاً', ' سارة ', 4096)).toBe('مرحبا \u2068سارة\u2069، أهلاً')
    expect(textWithName('Hi {name}!', 'Ada', 4096)).toBe('Hi Ada!')
    // A name stored before names were cleaned keeps no control of its own to break out with.
    expect(textWithName('Hi {name}! Sale', 'דנה\u2069\u202Eevil', 4096)).toBe(
      'Hi \u2068דנהevil\u2069! Sale',
    )
    // Counted with the isolates, which are characters of the message: five letters fit the
    // placeholder's six, not with two more.
    const full = `{name} ${'x'.repeat(4089)}`
    expect(textWithName(full, 'Abcde', 4096)).toBe(`Abcde ${'x'.repeat(4089)}`)
    expect(textWithName(full, 'אביגל', 4096)).toBe('x'.repeat(4089))
  })

  it('is left out, with the space before it or the comma after it, where no name is known', () => {
    expect(textWithoutName('Hi {name}, we run at 9.')).toBe('Hi, we run at 9.')
    expect(textWithoutName('{name}, we run at 9.\n{name}: bring water')).toBe(
      'we run at 9.\nbring water',
    )
    expect(textWithoutName('Thanks {name}!\nSee you {name}.')).toBe('Thanks!\nSee you.')
    expect(textWithoutName('Hello, {name}! Hello, {name}, we run')).toBe('Hello! Hello, we run')
    expect(textWithoutName('We run at 9, {name} too')).toBe('We run at 9, too')
    expect(textWithName('Hi {name}, go', null, 4096)).toBe('Hi, go')
    expect(textWithName('Hi {name}, go', '   ', 4096)).toBe('Hi, go')
  })

  it('is left out rather than a message cut short past the longest text', () => {
    const text = `Hi {name}! ${'x'.repeat(4085)}`
    expect([...text].length).toBe(4096)
    expect(textWithName(text, 'Al', 4096)).toBe(`Hi Al! ${'x'.repeat(4085)}`)
    expect(textWithName(text, 'Alexandra', 4096)).toBe(`Hi! ${'x'.repeat(4085)}`)
    // Counted in characters, as the text's limit is: an emoji is one.
    expect(textWithName(`{name} ${'😀'.repeat(4089)}`, 'Ada', 4096)).toBe(
      `Ada ${'😀'.repeat(4089)}`,
    )
  })
})
