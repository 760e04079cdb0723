// Writes test/file-durations.json, the order hint of test/helpers/file-order.ts, from a vitest
// JSON report: `npx vitest run --reporter=json --outputFile=report.json`, then
// `node scripts/file-durations.js report.json`.
import {readFileSync, writeFileSync} from 'node:fs'
import {relative} from 'node:path'

const [reportPath] = process.argv.slice(2)
if (!reportPath) {
  console.error('usage: node scripts/file-durations.js <vitest JSON report>')
  process.exit(2)
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'))
const durations = report.testResults
  .map((file) => [relative(process.cwd(), file.name), Math.round((file.endTime - file.startTime) / 100) / 10])
  .sort(([a], [b]) => (a < b ? -1 : 1))
writeFileSync('test/file-durations.json', `${JSON.stringify(Object.fromEntries(durations), null, 1)}\n`)
console.log(`test/file-durations.json: ${durations.length} files`)
