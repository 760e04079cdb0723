import {describe, expect, it} from 'vitest'
import {byCodeUnits, withThousands} from '../../src/core/counts.js'

describe('withThousands', () => {
  it('writes counts as toLocaleString("en") does', () => {
    expect(withThousands(0)).toBe('0')
    expect(withThousands(999)).toBe('999')
    expect(withThousands(1000)).toBe('1,000')
    expect(withThousands(101_000)).toBe('101,000')
    expect(withThousands(1_234_567)).toBe('1,234,567')
    for (let value = 1; value < 10 ** 10; value = value * 7 + 3) expect(withThousands(value)).toBe(value.toLocaleString('en'))
  })
})

describe('byCodeUnits', () => {
  it('orders by UTF-16 code units, the same on every machine, where a locale would not', () => {
    expect(['payments', 'Cards', '(none)', 'cards', 'ledger-team'].sort(byCodeUnits)).toEqual(['(none)', 'Cards', 'cards', 'ledger-team', 'payments'])
    expect(byCodeUnits('ec2:volume', 'ec2:volume')).toBe(0)
  })
})
