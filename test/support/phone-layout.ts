import type { Page } from 'playwright-core'
import { HORIZONTAL_OVERFLOW } from './demo-dashboard'

/**
 * Checks run in a page for what goes wrong on a narrow screen, each a list of problems (empty
 * when the page is fine), written for a person reading a failed test.
 */

/**
 * Boxes that scroll sideways inside the page with nothing on screen to say so: what they hide past
 * their edge is found only by swiping. A box may scroll if it shows a shadow at the edge where
 * more is (a gradient background that scrolls with its content, `local`).
 */
const SIDEWAYS_BOXES = `[...document.querySelectorAll('body *')]
  .filter((element) => {
    const style = getComputedStyle(element)
    const hinted = style.backgroundImage.includes('gradient') && style.backgroundAttachment.includes('local')
    return (style.overflowX === 'auto' || style.overflowX === 'scroll') &&
      element.scrollWidth > element.clientWidth + 1 && !hinted
  })
  .map((element) => element.tagName.toLowerCase() + '.' + element.className + ' hides ' +
    (element.scrollWidth - element.clientWidth) + ' px')`

/**
 * Tables read by swiping: a body cell that ends past the screen's right edge, whether the page
 * or a box around the table scrolls to it, shadow or not. On a phone a table's figures fit the
 * screen (as cards, each labelled); one found only by swiping is read without its label.
 * The header row is left out: cards hide it, clipped to a pixel, with its cells laid out wide.
 */
const TABLES_PAST_THE_EDGE = `(() => {
  const edge = document.documentElement.clientWidth
  const problems = []
  for (const table of document.querySelectorAll('table')) {
    if (table.getClientRects().length === 0) continue
    const cells = [...table.tBodies].flatMap((body) => [...body.querySelectorAll('td, th')])
    const past = Math.max(0, ...cells.map((cell) => cell.getBoundingClientRect().right - edge))
    if (past <= 1) continue
    const heading = table.caption || table.closest(':has(> h2)')?.querySelector(':scope > h2')
    const name = (heading?.textContent || cells[0]?.textContent || '').trim().slice(0, 30)
    problems.push('"' + name + '" ends ' + Math.round(past) + ' px past the screen')
  }
  return problems
})()`

/**
 * Tables shown as cards: a row's label (the cell's `::before`, from `data-label`) that runs out of
 * its cell, into the cell's value or the next row, and cells or rows that lie over each other.
 */
const CARD_OVERLAPS = `(() => {
  const problems = []
  const text = (cell) => (cell.dataset.label || cell.textContent.trim()).slice(0, 30)
  for (const table of document.querySelectorAll('table.cards')) {
    if (table.getClientRects().length === 0) continue
    let rowBottom = -Infinity
    for (const row of [...table.tBodies].flatMap((body) => [...body.rows])) {
      const rowBox = row.getBoundingClientRect()
      if (rowBox.height === 0) continue
      if (rowBox.top < rowBottom - 1) problems.push('a row over the one before it: ' + text(row.cells[0]))
      rowBottom = rowBox.bottom
      let cellBottom = rowBox.top
      for (const cell of row.cells) {
        const box = cell.getBoundingClientRect()
        if (box.height === 0) continue
        if (box.top < cellBottom - 1) problems.push('"' + text(cell) + '" over the cell before it')
        if (box.bottom > rowBox.bottom + 1) problems.push('"' + text(cell) + '" out of its row')
        cellBottom = box.bottom
        const label = getComputedStyle(cell, '::before')
        if (!cell.dataset.label || label.content === 'none' || label.display === 'none') continue
        const height = parseFloat(label.height)
        if (!(height <= box.height + 1))
          problems.push('"' + text(cell) + '" is ' + Math.round(height) + ' px tall in a row of ' + Math.round(box.height) + ' px')
        const value = document.createRange()
        value.selectNodeContents(cell)
        const valueBox = value.getBoundingClientRect()
        const labelRight = box.left + parseFloat(label.marginLeft || '0') + parseFloat(label.width)
        if (valueBox.width > 0 && valueBox.left < labelRight - 1)
          problems.push('"' + text(cell) + '" runs into its value')
      }
    }
  }
  return problems
})()`

/**
 * Tap targets smaller than WCAG 2.2's minimum, 24 by 24 CSS pixels: links and buttons that stand
 * on their own (in headings, tiles, navigation, sort and period pickers, a link alone in its
 * paragraph, a download), not links in a sentence.
 */
const SMALL_TARGETS = `[...document.querySelectorAll(
    'header a, main h1 a, main h2 a, main h3 a, main .stat a, main nav a, main .periods a, main .chips a, main button, main p > a:only-child, main a[download]'
  )]
  .filter((element) => element.getClientRects().length > 0)
  .map((element) => [element, element.getBoundingClientRect()])
  .filter(([, box]) => box.width < 24 || box.height < 24)
  .map(([element, box]) => element.outerHTML.slice(0, 70) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height))`

/**
 * Drop-down fields whose chosen option is cut off: the text a closed `<select>` shows is wider
 * than the room it has beside its arrow, so the reader sees half a choice. Measured with a
 * probe in the field's own font; the arrow takes about 20 px of a field's content box.
 */
const CUT_SELECTS = `[...document.querySelectorAll('select')]
  .filter((select) => select.getClientRects().length > 0 && select.selectedOptions.length > 0)
  .map((select) => {
    const style = getComputedStyle(select)
    const probe = document.createElement('span')
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre'
    probe.style.font = style.font
    probe.textContent = select.selectedOptions[0].textContent
    document.body.append(probe)
    const needed = probe.getBoundingClientRect().width
    probe.remove()
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20
    return needed > room + 1
      ? '#' + (select.id || select.name) + ' shows ' + Math.round(room) + ' px of "' +
        select.selectedOptions[0].textContent.trim().slice(0, 40) + '" (' + Math.round(needed) + ' px)'
      : ''
  })
  .filter(Boolean)`

/** Everything a narrow screen shows wrong on the page now open, each problem a sentence. */
export async function phoneLayoutProblems(page: Page): Promise<string[]> {
  const problems: string[] = []
  const overflow = await page.evaluate<number>(HORIZONTAL_OVERFLOW)
  if (overflow > 0) problems.push(`${overflow} px wider than the screen`)
  for (const box of await page.evaluate<string[]>(SIDEWAYS_BOXES))
    problems.push(`a box scrolls sideways: ${box}`)
  for (const table of await page.evaluate<string[]>(TABLES_PAST_THE_EDGE))
    problems.push(`a table is read by swiping: ${table}`)
  for (const overlap of await page.evaluate<string[]>(CARD_OVERLAPS))
    problems.push(`cards: ${overlap}`)
  for (const target of await page.evaluate<string[]>(SMALL_TARGETS))
    problems.push(`target under 24 px: ${target}`)
  for (const select of await page.evaluate<string[]>(CUT_SELECTS))
    problems.push(`a choice is cut off: ${select}`)
  return problems
}
