import {stripVTControlCharacters} from 'node:util'

/** The width a cell takes on screen: colour codes take none. */
const widthOf = (cell: string): number => (cell.includes('\u001B') ? stripVTControlCharacters(cell).length : cell.length)

/**
 * Rows padded to each column's widest cell, two spaces apart; the last column is left as is.
 * For long listings (a plan's resources, an audit's thousands of rows): cli-table3 spends
 * about 60 µs a cell on its options and borders, which those feel.
 */
export function columnLines(rows: readonly (readonly string[])[]): string[] {
  const widths = rows.reduce<number[]>((max, row) => row.map((cell, index) => Math.max(max[index] ?? 0, widthOf(cell))), [])
  return rows.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell + ' '.repeat(widths[index]! - widthOf(cell)))).join('  ').trimEnd())
}
