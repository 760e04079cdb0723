import {describe, expect, it} from 'vitest'
import {columnLines} from '../../src/ui/columns.js'

describe('columnLines', () => {
  it('pads every column but the last to its widest cell, two spaces apart, with no trailing spaces', () => {
    expect(
      columnLines([
        ['Resource', 'Type', 'Keeps data'],
        ['DataKey', 'AWS::KMS::Key', 'yes'],
        ['Trail', 'AWS::CloudTrail::Trail', ''],
      ]),
    ).toEqual(['Resource  Type                    Keeps data', 'DataKey   AWS::KMS::Key           yes', 'Trail     AWS::CloudTrail::Trail'])
  })

  it('gives no lines for no rows', () => {
    expect(columnLines([])).toEqual([])
  })
})
