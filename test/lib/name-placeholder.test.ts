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
