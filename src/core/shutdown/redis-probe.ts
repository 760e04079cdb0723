/**
 * The Redis health check that runs on a Redis node (through SSM Run Command), and its form as
 * an SSM document for the scheduled task, which may run nothing else on the nodes.
 */

/** The document parameter that carries the master name into the script. */
export const PROBE_DOCUMENT_PARAMETER = 'MasterName'

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`

/**
 * Runs on a Redis node as root. The AUTH password never leaves the node: it is read from the
 * Sentinel config the bootstrap wrote (templates/data/data.yaml) and handed to redis-cli in
 * its environment, so it shows in neither the SSM command nor the process list.
 */
export function probeScript(masterName: string, authSecretArn?: string): string[] {
  return [
    'set -u',
    `NAME=${shellQuote(masterName)}`,
    'CONF=/etc/fintech-redis/sentinel.conf',
    'CLI=$(command -v redis-cli || command -v redis6-cli || echo /usr/local/bin/redis-cli)',
    `AUTH=$(awk '$1 == "requirepass" {gsub(/"/, "", $2); print $2; exit}' "$CONF" 2>/dev/null)`,
    `[ -n "$AUTH" ] || AUTH=$(awk -v name="$NAME" '$1 == "sentinel" && $2 == "auth-pass" && $3 == name {gsub(/"/, "", $4); print $4; exit}' "$CONF" 2>/dev/null)`,
    ...(authSecretArn
      ? [`[ -n "$AUTH" ] || AUTH=$(aws secretsmanager get-secret-value --secret-id ${shellQuote(authSecretArn)} --query SecretString --output text)`]
      : []),
    'if [ -z "$AUTH" ]; then echo "no AUTH password in $CONF"; exit 2; fi',
    'export REDISCLI_AUTH="$AUTH"',
    'ADDR=$("$CLI" -p 26379 SENTINEL get-master-addr-by-name "$NAME" 2>&1)',
    `HOST=$(printf '%s\\n' "$ADDR" | sed -n 1p)`,
    `PORT=$(printf '%s\\n' "$ADDR" | sed -n 2p)`,
    'if [ -z "$PORT" ]; then echo "Sentinel names no master for $NAME: $ADDR"; exit 3; fi',
    'echo "master $HOST:$PORT"',
    '"$CLI" -h "$HOST" -p "$PORT" PING 2>&1',
  ]
}


/** The script as the schedule stack's SSM document runs it: SSM fills in the master name. */
export const probeDocumentScript = (): string => probeScript(`{{ ${PROBE_DOCUMENT_PARAMETER} }}`).join('\n')
