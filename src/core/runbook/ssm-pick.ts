import type {PickStep} from './schema.js'

/** aws:executeScript runs for 600 s at most, whatever timeoutSeconds says. */
const SCRIPT_LIMIT_SECONDS = 600

/**
 * The references the script fills itself, per item and from its own clock. SSM would read
 * `{{ item }}` as a document parameter, and has no relative time: they travel as `<<item>>`,
 * `<<time.minus5m>>`.
 */
const SCRIPT_REFERENCES = /\{\{\s*(item|time\.now|time\.minus\d+m)\s*\}\}/g

function scriptMarkers(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(SCRIPT_REFERENCES, '<<$1>>')
  if (Array.isArray(value)) return value.map(scriptMarkers)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scriptMarkers(item)]))
  return value
}

/** The selectors the script follows without a JSONPath library (the executeScript runtime has none): names and indexes. */
const PLAIN_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+$/

/**
 * The pick step's rules in Python 3.11 with boto3, as the engine applies them: `given` when not
 * empty (one of the items), else the item with the lowest or highest numeric value, the first
 * of equals; an item without a value is never picked.
 */
export const PICK_SCRIPT = `import re
from datetime import datetime, timedelta, timezone

import boto3
from botocore import xform_name

MARKER = re.compile(r'<<(item|time\\.now|time\\.minus(\\d+)m)>>')
PATH_STEP = re.compile(r'\\.([A-Za-z_][A-Za-z0-9_]*)|\\[(\\d+)\\]')


def fill(value, item, now):
    if isinstance(value, str):
        def known(match):
            if match.group(1) == 'item':
                return item
            return now - timedelta(minutes=int(match.group(2) or 0))
        whole = MARKER.fullmatch(value)
        if whole:
            return known(whole)
        return MARKER.sub(lambda match: known(match).isoformat() if isinstance(known(match), datetime) else str(known(match)), value)
    if isinstance(value, list):
        return [fill(entry, item, now) for entry in value]
    if isinstance(value, dict):
        return {key: fill(entry, item, now) for key, entry in value.items()}
    return value


def select(document, path):
    for name, index in PATH_STEP.findall(path[1:]):
        if name:
            if not isinstance(document, dict) or name not in document:
                return None
            document = document[name]
        else:
            if not isinstance(document, list) or int(index) >= len(document):
                return None
            document = document[int(index)]
    return document


def number(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def pick(events, context):
    step, items, given = events['step'], events['items'], events.get('given') or ''
    if given and given not in items:
        raise Exception(f"{step}: {given} is not one of the items ({', '.join(map(str, items)) or 'none'})")
    candidates = [given] if given else items
    if not candidates:
        raise Exception(f'{step}: no items to pick from')
    now = datetime.now(timezone.utc)
    call = getattr(boto3.client(events['service']), xform_name(events['api'])) if 'service' in events else None
    best = None
    for item in candidates:
        document = call(**fill(events['parameters'], item, now)) if call else item
        value = number(select(document, events['selector']))
        if value is not None and (best is None or (value < best[1] if events['order'] == 'lowest' else value > best[1])):
            best = (item, value)
    if best is None:
        raise Exception(f"{step}: none of {', '.join(map(str, candidates))} has a value for {events['selector']}")
    return {'item': best[0], 'value': best[1]}
`

/** A pick step as SSM Automation runs it: aws:executeScript with the script above; the reason when it cannot. */
export function pickAction(step: PickStep): {action: string; inputs: Record<string, unknown>} | string {
  if ((step.timeout ?? 0) > SCRIPT_LIMIT_SECONDS) return `aws:executeScript runs for ${SCRIPT_LIMIT_SECONDS} s at most; this step's timeout is ${step.timeout} s`
  const selector = typeof step.by === 'string' ? step.by : step.by.selector
  if (!PLAIN_PATH.test(selector)) return `the script SSM runs for a pick step follows a plain path of names and indexes ($.Datapoints[0].Maximum), not ${selector}`
  const by = typeof step.by === 'string' ? {selector} : {service: step.by.service, api: step.by.api, parameters: scriptMarkers(step.by.parameters), selector}
  return {
    action: 'aws:executeScript',
    inputs: {Runtime: 'python3.11', Handler: 'pick', Script: PICK_SCRIPT, InputPayload: {step: step.name, items: step.items, given: step.given ?? '', order: step.order, ...by}},
  }
}
