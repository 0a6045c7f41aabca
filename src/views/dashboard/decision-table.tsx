import type { Child } from 'hono/jsx'

/**
 * Requests waiting for an admin's decision, from the web's form and from Telegram alike: a
 * table of rows, and when the admin may decide, a checkbox and the two buttons on each row and
 * the bar that decides every checked one.
 */

export interface DecisionRow {
  id: string
  /** What the row's checkbox is called for a screen reader: the person's name. */
  name: string
  /** One per column, in the order of `columns`. */
  cells: Child[]
}

/** The two decisions: a request is approved, or rejected (web) or declined (Telegram). */
export interface DecisionWords {
  select: string
  selectAll: string
  approve: string
  refuse: string
  approveSelected: string
  refuseSelected: string
  /** Asked before refusing, where a refusal is asked about (the browser's confirm dialog). */
  confirmRefuse?: string
  confirmRefuseSelected?: string
}

export function DecisionTable(props: {
  words: DecisionWords
  columns: string[]
  rows: DecisionRow[]
  decide: boolean
  /** The form value that refuses: `reject` (web) or `decline` (Telegram). */
  refusal: 'reject' | 'decline'
}) {
  const { words, columns, decide } = props
  return (
    <table class="cards">
      <thead>
        <tr>
          {decide && (
            <th>
              <span class="muted">✓</span>
            </th>
          )}
          {columns.map((column) => (
            <th>{column}</th>
          ))}
          {decide && <th />}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr>
            {decide && (
              <td data-label={words.select}>
                <input type="checkbox" name="ids" value={row.id} aria-label={row.name} />
              </td>
            )}
            {row.cells.map((cell, i) => (
              <td data-label={columns[i]}>{cell}</td>
            ))}
            {decide && (
              <td data-label="" class="actions">
                <button type="submit" name="only" value={`approve:${row.id}`}>
                  {words.approve}
                </button>{' '}
                <button
                  type="submit"
                  class="danger"
                  name="only"
                  value={`${props.refusal}:${row.id}`}
                  data-confirm={words.confirmRefuse}
                >
                  {words.refuse}
                </button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * The decision for every checked request (with the reason for a rejection, where one is
 * asked): once a request is checked, a bar that stays at the bottom of the screen while the list
 * scrolls (`.bulk`), so a long list on a phone never leaves it out of reach; with nothing
 * checked it stays below the list, where it takes no room from the requests.
 */
export function BulkDecisionBar(props: {
  words: DecisionWords
  refusal: 'reject' | 'decline'
  /** The label of the reason field; none: no reason is asked. */
  reason?: string
}) {
  const { words } = props
  return (
    <div class="bulk">
      {/* Shown by the page's script, which alone can tick every box of the form. */}
      <label class="select-all" hidden data-select-all>
        <input type="checkbox" /> {words.selectAll}
      </label>
      {props.reason && (
        <>
          <label for="reason">{props.reason}</label>
          <input id="reason" name="reason" maxlength={500} />
        </>
      )}
      <span>
        <button type="submit" name="action" value="approve">
          {words.approveSelected}
        </button>{' '}
        <button
          type="submit"
          class="danger"
          name="action"
          value={props.refusal}
          data-confirm={words.confirmRefuseSelected}
        >
          {words.refuseSelected}
        </button>
      </span>
    </div>
  )
}
