import type {PickStep} from './schema.js'

/** aws:executeScript runs for 600 s at most, whatever timeoutSeconds says. */
const SCRIPT_LIMIT_SECONDS = 600

/**
 * The reference the script fills itself, per item: SSM would read `{{ item }}` as a document
 * parameter, so it travels as `<<item>>`. Relative times are the export's clock step's outputs.
 */
const ITEM_REFERENCE = /\{\{\s*item\s*\}\}/g

function itemMarkers(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(ITEM_REFERENCE, '<<item>>')
  if (Array.isArray(value)) return value.map(itemMarkers)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, itemMarkers(item)]))
  return value
}

/** The selectors the script follows without a JSONPath library (the executeScript runtime has none): names and indexes. */
const PLAIN_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+$/

/**
 * The pick step's rules in Python 3.11 with boto3, as the engine applies them: `given` when not
 * empty (one of the items), else the item with the lowest or highest numeric value, the first
 * of equals; an item without a value is never picked.
 */
export const PICK_SCRIPT = `import json
import re

import boto3
from botocore import xform_name

PATH_STEP = re.compile(r'\\.([A-Za-z_][A-Za-z0-9_]*)|\\[(\\d+)\\]')


def fill(value, item):
    if value == '<<item>>':
        return item
    if isinstance(value, str):
        return value.replace('<<item>>', item if isinstance(item, str) else json.dumps(item))
    if isinstance(value, list):
        return [fill(entry, item) for entry in value]
    if isinstance(value, dict):
        return {key: fill(entry, item) for key, entry in value.items()}
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
    call = getattr(boto3.client(events['service']), xform_name(events['api'])) if 'service' in events else None
    best = None
    for item in candidates:
        document = call(**fill(events['parameters'], item)) if call else item
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
  const by = typeof step.by === 'string' ? {selector} : {service: step.by.service, api: step.by.api, parameters: itemMarkers(step.by.parameters), selector}
  return {
    action: 'aws:executeScript',
    inputs: {Runtime: 'python3.11', Handler: 'pick', Script: PICK_SCRIPT, InputPayload: {step: step.name, items: step.items, given: step.given ?? '', order: step.order, ...by}},
  }
}
