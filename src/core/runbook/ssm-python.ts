/**
 * The Python 3.11 (boto3) handlers the SSM export puts in aws:executeScript steps. SSM replaces
 * `{{ … }}` in a step's inputs, the script included, so none of these holds a double brace:
 * every value reaches them through InputPayload, as data.
 */

/** `clock`: the relative times a step reads ({{ time.now }}, {{ time.minus5m }}), as ISO instants like the CLI's. */
export const CLOCK_SCRIPT = `from datetime import datetime, timedelta, timezone


def clock(events, context):
    now = datetime.now(timezone.utc)
    times = {}
    for name in events['names']:
        minutes = 0 if name == 'now' else int(name[len('minus'):-1])
        at = now - timedelta(minutes=minutes)
        times[name] = at.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (at.microsecond // 1000)
    return times
`

/**
 * \`call\`: one AWS API call through boto3, its outputs selected from the answer, and an output's
 * default standing in when its selector matches nothing (aws:executeAwsApi has no default).
 * Selectors are plain paths ($.A.B[0].C), checked when exporting.
 */
export const API_SCRIPT = `import re

import boto3
from botocore import xform_name

STEP = re.compile(r'\\.([A-Za-z_][A-Za-z0-9_]*)|\\[(\\d+)\\]')


def select(document, selector):
    value = document
    for name, index in STEP.findall(selector[1:]):
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        if value is None:
            return None
    return value


def typed(value, kind):
    if value is None:
        return None
    if kind == 'Integer':
        return int(float(value))
    if kind == 'Boolean':
        return value is True or value == 'true'
    if kind == 'String':
        return value if isinstance(value, str) else str(value)
    return value


def call(events, context):
    client = boto3.client(events['service'])
    answer = getattr(client, xform_name(events['api']))(**events['parameters'])
    outputs = {}
    for output in events['outputs']:
        value = typed(select(answer, output['selector']), output['type'])
        outputs[output['name']] = output.get('default') if value is None else value
    return outputs
`

/**
 * \`run\`: a shell command on the env's tagged instances through Run Command, as the CLI does it
 * (src/aws/ssm.ts): targets \`tag:KEY\`=value AND \`tag:Environment\`=the env, waits for
 * every invocation, fails when one fails. Its values become \`export NAME=…\` lines decoded from
 * base64, so a value is never shell text, and never holds the \`{{ }}\` that Run Command would
 * resolve in its parameters. \`oneInstance\`: on the first online instance only (a failover runs once).
 */
export const RUN_SCRIPT = `import base64
import json
import time

import boto3

DONE = ('Success', 'Failed', 'TimedOut', 'Cancelled')


def text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, list):
        return ', '.join(text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(',', ':'))
    return str(value)


def exports(env):
    lines = []
    for name in sorted(env):
        encoded = base64.b64encode(text(env[name]).encode()).decode()
        # The x keeps trailing newlines, which $( ) would drop.
        lines.append('%s="$(printf %%s %s | base64 --decode; printf x)"\\nexport %s="\${%s%%x}"\\n' % (name, encoded, name, name))
    return ''.join(lines)


def invocations(ssm, command_id):
    found = []
    for page in ssm.get_paginator('list_command_invocations').paginate(CommandId=command_id, Details=True):
        found.extend(page['CommandInvocations'])
    return found


def output(invocation):
    return ''.join(plugin.get('Output', '') for plugin in invocation.get('CommandPlugins', [])).strip()


def run(events, context):
    ssm = boto3.client('ssm')
    where = '%s=%s in %s' % (events['tagKey'], events['tagValue'], events['environment'])
    tags = [
        {'Key': 'tag:' + events['tagKey'], 'Values': [events['tagValue']]},
        {'Key': 'tag:Environment', 'Values': [events['environment']]},
    ]
    request = {
        'DocumentName': 'AWS-RunShellScript',
        'Parameters': {'commands': [exports(events['env']) + events['command']], 'executionTimeout': [str(events['executionTimeout'])]},
        'TimeoutSeconds': events['executionTimeout'],
        'Comment': events['comment'][:100],
    }
    if events['oneInstance']:
        online = []
        for page in ssm.get_paginator('describe_instance_information').paginate(Filters=tags):
            online.extend(item['InstanceId'] for item in page['InstanceInformationList'] if item.get('PingStatus') == 'Online')
        if not online:
            raise Exception('no online managed instance tagged %s' % where)
        request['InstanceIds'] = [sorted(online)[0]]
    else:
        request['Targets'] = tags
    command_id = ssm.send_command(**request)['Command']['CommandId']
    started = time.time()
    while True:
        time.sleep(events['pollSeconds'])
        found = invocations(ssm, command_id)
        if found and all(item['Status'] in DONE for item in found):
            break
        if not found and time.time() - started >= 30:
            raise Exception('no instance tagged %s (command %s has no invocation)' % (where, command_id))
        if time.time() - started >= events['waitSeconds']:
            ssm.cancel_command(CommandId=command_id)
            raise Exception('command %s did not end within %d s: cancelled' % (command_id, events['waitSeconds']))
    stdout = '\\n'.join('%s: %s' % (item['InstanceId'], output(item)) for item in found)
    failed = [item for item in found if item['Status'] != 'Success']
    if failed:
        raise Exception('\\n'.join('%s: %s %s' % (item['InstanceId'], item['Status'], item.get('StatusDetails', '')) for item in failed) + '\\n' + stdout)
    return {'stdout': stdout, 'exitCode': 0}
`
