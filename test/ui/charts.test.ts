import {describe, expect, it} from 'vitest'
import {bar, resample, sparkline} from '../../src/ui/charts.js'

describe('bar', () => {
  it('draws eighths of a cell, padded to the width', () => {
    expect(bar(10, 10, 4)).toBe('████')
    expect(bar(5, 10, 4)).toBe('██  ')
    expect(bar(1, 8, 1)).toBe('▏')
    expect(bar(3, 8, 1)).toBe('▍')
    expect(bar(0.001, 10, 3)).toBe('▏  ')
  })

  it('draws nothing for zero, credits and an empty scale', () => {
    expect(bar(0, 10, 3)).toBe('   ')
    expect(bar(-4, 10, 3)).toBe('   ')
    expect(bar(5, 0, 3)).toBe('   ')
  })
})

describe('sparkline', () => {
  it('scales from zero to the maximum, zero as a space', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline([8, 0, 8, 0.5])).toBe('█ █▁')
    expect(sparkline([0, 0])).toBe('  ')
    expect(sparkline([])).toBe('')
  })

  it('averages long series down to the width', () => {
    expect(resample([1, 3, 5, 7], 2)).toEqual([2, 6])
    expect(sparkline(Array.from({length: 90}, (_, day) => (day < 45 ? 1 : 2)), 30)).toBe('▄'.repeat(15) + '█'.repeat(15))
  })
})
