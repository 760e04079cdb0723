/** Terminal charts drawn with Unicode block elements: no dependency, any monospace font. */

const PARTIAL_BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']

/**
 * A horizontal bar `width` cells long at `max`, in eighths of a cell, padded to `width`.
 * Zero, negative (credits) and non-finite values draw nothing.
 */
export function bar(value: number, max: number, width: number): string {
  if (!(value > 0) || !(max > 0) || width <= 0) return ' '.repeat(Math.max(0, width))
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8))
  const drawn = '█'.repeat(Math.floor(eighths / 8)) + PARTIAL_BLOCKS[eighths % 8]
  return drawn.padEnd(width, ' ')
}

/** Averages neighbouring values so a series fits `width` points. */
export function resample(values: number[], width: number): number[] {
  if (values.length <= width || width <= 0) return values
  return Array.from({length: width}, (_, index) => {
    const from = Math.floor((index * values.length) / width)
    const to = Math.floor(((index + 1) * values.length) / width)
    const slice = values.slice(from, Math.max(to, from + 1))
    return slice.reduce((sum, value) => sum + value, 0) / slice.length
  })
}

/**
 * One character per value, scaled from zero to the series' maximum: ▁ is the smallest
 * non-zero amount, █ the largest; zero (an env asleep, a day without cost) is a space.
 * Longer series are averaged down to `width` characters.
 */
export function sparkline(values: number[], width = 31): string {
  const points = resample(values, width)
  const max = Math.max(0, ...points)
  return points
    .map((value) => {
      if (!(value > 0) || max === 0) return ' '
      return SPARKS[Math.min(SPARKS.length - 1, Math.max(0, Math.ceil((value / max) * SPARKS.length) - 1))]
    })
    .join('')
}
