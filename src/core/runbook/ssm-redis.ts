/**
 * The `fintech redis` operations as bash and redis-cli on a Redis node, for the SSM export. They
 * read their values from the environment only (MASTER_NAME, SENTINEL_PORT, MAX_LAG_BYTES; the
 * export's runner sets them), never from text spliced into the script. The AUTH password is the
 * node's own (its Sentinel config, root-readable) unless REDISCLI_AUTH is set already.
 */

const PRELUDE = `set -euo pipefail
: "\${SENTINEL_HOST:=127.0.0.1}"
if [ -z "\${REDISCLI_AUTH:-}" ]; then
  REDISCLI_AUTH=$(sed -n 's/^requirepass //p' /etc/fintech-redis/sentinel.conf | sed -n 1p)
fi
export REDISCLI_AUTH
fail() { echo "fintech: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
# redis-cli exits 0 on an error reply: an answer that starts with an error code is a failure.
error_reply='^[A-Z][A-Z_]+ '
call() {
  local address=$1 answer
  shift
  answer=$(redis-cli --no-auth-warning -h "\${address%:*}" -p "\${address##*:}" "$@" 2>&1) || { echo "$address $1: $answer" >&2; return 1; }
  if [[ $answer =~ $error_reply && ! $answer =~ ^OK\\  ]]; then echo "$address $1: $answer" >&2; return 1; fi
  printf '%s\\n' "$answer"
}
sentinel() { call "$SENTINEL_HOST:$SENTINEL_PORT" "$@"; }
# A field of Sentinel's name/value pairs, or of INFO.
field() { awk -v key="$1" 'NR % 2 == 1 && $0 == key { getline value; print value; exit }'; }
info_field() { tr -d '\\r' | sed -n "s/^$1://p"; }
master_addr() { call "$1" SENTINEL GET-MASTER-ADDR-BY-NAME "$MASTER_NAME" | paste -sd: -; }
# This node's Sentinel and the others it knows, host:port one a line.
all_sentinels() {
  echo "$SENTINEL_HOST:$SENTINEL_PORT"
  sentinel SENTINEL SENTINELS "$MASTER_NAME" | awk 'NR % 2 == 1 { key = $0; next } key == "ip" { ip = $0 } key == "port" { print ip ":" $0 }'
}
# The replicas Sentinel knows: "host:port flags priority", one a line.
replicas() {
  sentinel SENTINEL REPLICAS "$MASTER_NAME" | awk '
    NR % 2 == 1 { key = $0; next }
    key == "name" && seen { print ip ":" port, flags, priority }
    key == "name" { seen = 1 }
    key == "ip" { ip = $0 } key == "port" { port = $0 } key == "flags" { flags = $0 } key == "slave-priority" { priority = $0 }
    END { if (seen) print ip ":" port, flags, priority }'
}
`

/** `fintech redis status`, short: the primary, what each Sentinel names, the quorum, the replicas; fails when the Sentinels disagree or have no quorum. */
export const REDIS_STATUS_SCRIPT = `${PRELUDE}
view=$(sentinel SENTINEL MASTER "$MASTER_NAME")
primary="$(field ip <<<"$view"):$(field port <<<"$view")"
flags=$(field flags <<<"$view")
echo "primary $primary ($flags)"
disagree=""
for address in $(all_sentinels); do
  seen=$(master_addr "$address") || seen="no answer"
  echo "sentinel $address: $seen"
  [ "$seen" = "$primary" ] || disagree="$disagree $address"
done
replicas | while read -r address replica_flags priority; do echo "replica $address $replica_flags priority $priority"; done
sentinel SENTINEL CKQUORUM "$MASTER_NAME" || fail "no Sentinel quorum for $MASTER_NAME"
[ -z "$disagree" ] || fail "the Sentinels do not agree on the primary:$disagree"
[ "$flags" = master ] || fail "Sentinel flags the primary $flags"
`

/**
 * `fintech redis failover` (src/core/redis/failover.ts) step by step: pre-checks, replicas not in
 * sync held out of the election (replica-priority 0, seen by Sentinel), CLIENT PAUSE WRITE on the
 * primary, every candidate at the primary's offset, SENTINEL FAILOVER, the Sentinels agreeing on
 * a candidate, the old primary following it, writes released, priorities given back. Every way
 * out releases the pause and gives the priorities back (trap). Optional: SYNC_TIMEOUT_S (60),
 * PAUSE_BUDGET_MS (20000), PROMOTE_TIMEOUT_S (60), CATCH_UP_LIMIT_MS (500).
 */
export const REDIS_FAILOVER_SCRIPT = `${PRELUDE}
: "\${MAX_LAG_BYTES:=0}" "\${SYNC_TIMEOUT_S:=60}" "\${PAUSE_BUDGET_MS:=20000}" "\${PROMOTE_TIMEOUT_S:=60}" "\${CATCH_UP_LIMIT_MS:=500}"
paused=0
held=()
release() {
  local code=$? entry
  if [ "$paused" = 1 ]; then
    call "$primary" CLIENT UNPAUSE >/dev/null && echo "writes released on $primary" || echo "fintech: writes on $primary stay paused until the CLIENT PAUSE timeout ($PAUSE_BUDGET_MS ms at most)" >&2
  fi
  for entry in "\${held[@]}"; do
    call "\${entry% *}" CONFIG SET replica-priority "\${entry##* }" >/dev/null || echo "fintech: could not give \${entry% *} its replica-priority \${entry##* } back" >&2
  done
  exit "$code"
}
trap release EXIT
trap 'exit 130' INT TERM
until_ok() {
  local what=$1 seconds=$2 deadline
  shift 2
  deadline=$(( $(now_ms) + seconds * 1000 ))
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || fail "timed out after $seconds s waiting for $what"
    sleep 0.05
  done
}

# Pre-checks: nothing changes until they pass.
view=$(sentinel SENTINEL MASTER "$MASTER_NAME") || fail "pre-checks failed, nothing was changed: Sentinel $SENTINEL_HOST:$SENTINEL_PORT does not answer for $MASTER_NAME"
primary="$(field ip <<<"$view"):$(field port <<<"$view")"
flags=$(field flags <<<"$view")
[ "$flags" = master ] || fail "pre-checks failed, nothing was changed: Sentinel flags $primary $flags (a failover in progress, or the primary down)"
sentinel SENTINEL CKQUORUM "$MASTER_NAME" >/dev/null || fail "pre-checks failed, nothing was changed: no Sentinel quorum"
sentinels=$(all_sentinels)
for address in $sentinels; do
  seen=$(master_addr "$address") || fail "pre-checks failed, nothing was changed: Sentinel $address does not answer"
  [ "$seen" = "$primary" ] || fail "pre-checks failed, nothing was changed: Sentinel $address names $seen, not $primary"
done
[ "$(call "$primary" ROLE | sed -n 1p)" = master ] || fail "pre-checks failed, nothing was changed: $primary does not answer as master"
echo "old primary $primary"

in_sync() {
  local info offset priority
  info=$(call "$1" INFO replication 2>/dev/null) || return 1
  [ "$(info_field role <<<"$info")" = slave ] || return 1
  [ "$(info_field master_host <<<"$info"):$(info_field master_port <<<"$info")" = "$primary" ] || return 1
  [ "$(info_field master_link_status <<<"$info")" = up ] || return 1
  offset=$(info_field slave_repl_offset <<<"$info")
  [ -n "$offset" ] && [ $(( primary_offset - offset )) -le "$MAX_LAG_BYTES" ] || return 1
  priority=$(call "$1" CONFIG GET replica-priority | sed -n 2p) || return 1
  [ "$priority" != 0 ]
}
# Replicas resyncing (the old primary right after the last failover) get time to catch up.
deadline=$(( $(now_ms) + SYNC_TIMEOUT_S * 1000 ))
while :; do
  [ "$(master_addr "$SENTINEL_HOST:$SENTINEL_PORT")" = "$primary" ] || fail "the primary changed from $primary while waiting: someone else failed over"
  primary_offset=$(call "$primary" INFO replication | info_field master_repl_offset)
  candidates=()
  excluded=()
  for address in $(replicas | awk '{ print $1 }'); do
    if in_sync "$address"; then candidates+=("$address"); else excluded+=("$address"); fi
  done
  if [ \${#excluded[@]} -eq 0 ] || [ "$(now_ms)" -ge "$deadline" ]; then break; fi
  sleep 0.2
done
[ \${#candidates[@]} -gt 0 ] || fail "no replica is in sync with $primary after $SYNC_TIMEOUT_S s: NOGOODSLAVE, nothing was changed"
echo "candidates \${candidates[*]}"

for address in "\${excluded[@]}"; do
  priority=$(call "$address" CONFIG GET replica-priority 2>/dev/null | sed -n 2p) || continue
  if [ -z "$priority" ] || [ "$priority" = 0 ]; then continue; fi
  call "$address" CONFIG SET replica-priority 0 >/dev/null
  held+=("$address $priority")
  echo "excluded $address (not in sync): replica-priority 0 until the failover is done"
done
# Sentinel reads replica-priority from INFO every 10 s: wait until it has seen every exclusion.
sees_exclusions() {
  local known address
  known=$(replicas) || return 1
  for address in "\${excluded[@]}"; do
    awk -v address="$address" '$1 == address && $3 != 0 && $2 !~ /s_down|disconnected/ { found = 1 } END { exit found }' <<<"$known" || return 1
  done
}
[ \${#excluded[@]} -eq 0 ] || until_ok "Sentinel to see the excluded replicas out of the election" "$PROMOTE_TIMEOUT_S" sees_exclusions

caught_up() {
  local offset address info replica_offset
  offset=$(call "$primary" INFO replication | info_field master_repl_offset) || return 1
  for address in "\${candidates[@]}"; do
    info=$(call "$address" INFO replication) || return 1
    [ "$(info_field master_link_status <<<"$info")" = up ] || return 1
    replica_offset=$(info_field slave_repl_offset <<<"$info")
    [ -n "$replica_offset" ] && [ "$replica_offset" -ge "$offset" ] || return 1
  done
}
call "$primary" CLIENT PAUSE "$PAUSE_BUDGET_MS" WRITE >/dev/null
paused=1
paused_at=$(now_ms)
renewed_at=$paused_at
catch_up_by=$(( paused_at + CATCH_UP_LIMIT_MS ))
until caught_up; do
  [ "$(now_ms)" -lt "$catch_up_by" ] || fail "the candidates did not reach the primary's offset within $CATCH_UP_LIMIT_MS ms of pausing writes: nothing failed over"
  sleep 0.01
done

sentinel SENTINEL FAILOVER "$MASTER_NAME" >/dev/null || fail "Sentinel refused the failover"
echo "failover sent"
promoted=""
agreed() {
  local named address
  # CLIENT PAUSE ends by itself after its budget; a longer promotion must not let the old primary take writes it then loses.
  if [ $(( $(now_ms) - renewed_at )) -ge $(( PAUSE_BUDGET_MS / 2 )) ]; then
    call "$primary" CLIENT PAUSE "$PAUSE_BUDGET_MS" WRITE >/dev/null || true
    renewed_at=$(now_ms)
  fi
  named=$(for address in $sentinels; do master_addr "$address" 2>/dev/null || true; done | sort -u)
  [ -n "$named" ] && [ "$(wc -l <<<"$named")" -eq 1 ] && [ "$named" != "$primary" ] || return 1
  [ "$(call "$named" ROLE 2>/dev/null | sed -n 1p)" = master ] || return 1
  promoted=$named
}
until_ok "the Sentinels to agree on a new primary" "$PROMOTE_TIMEOUT_S" agreed
[[ " \${candidates[*]} " == *" $promoted "* ]] || fail "Sentinel promoted $promoted, which was not a checked candidate (\${candidates[*]})"

# What Sentinel does to the old primary seconds later, done now so writes resume sooner.
call "$primary" REPLICAOF "\${promoted%:*}" "\${promoted##*:}" >/dev/null
call "$primary" CLIENT KILL TYPE normal SKIPME yes >/dev/null
call "$primary" CLIENT UNPAUSE >/dev/null
paused=0
echo "new primary $promoted, writes paused $(( $(now_ms) - paused_at )) ms"
call "$primary" CONFIG REWRITE >/dev/null || true

accepts_write() { [ "$(call "$promoted" SET fintech:failover:probe "$(date -u +%FT%TZ)" PX 60000 2>/dev/null)" = OK ]; }
follows() {
  local info
  info=$(call "$primary" INFO replication 2>/dev/null) || return 1
  [ "$(info_field role <<<"$info")" = slave ] && [ "$(info_field master_host <<<"$info"):$(info_field master_port <<<"$info")" = "$promoted" ] && [ "$(info_field master_link_status <<<"$info")" = up ]
}
finished() {
  local address view
  for address in $sentinels; do
    view=$(call "$address" SENTINEL MASTER "$MASTER_NAME" 2>/dev/null) || return 1
    [ "$(field ip <<<"$view"):$(field port <<<"$view")" = "$promoted" ] && [ "$(field flags <<<"$view")" = master ] || return 1
  done
}
until_ok "the new primary $promoted to accept a write" "$PROMOTE_TIMEOUT_S" accepts_write
until_ok "the old primary $primary to resync as a replica of $promoted" "$PROMOTE_TIMEOUT_S" follows
until_ok "every Sentinel to finish the failover" "$PROMOTE_TIMEOUT_S" finished

# Until every Sentinel has read the priorities back, a failover right after could find no replica to promote.
giving_back=("\${held[@]}")
for entry in "\${giving_back[@]}"; do call "\${entry% *}" CONFIG SET replica-priority "\${entry##* }" >/dev/null; done
held=()
sees_priorities() {
  local address entry known
  for address in $sentinels; do
    known=$(call "$address" SENTINEL REPLICAS "$MASTER_NAME" | awk 'NR % 2 == 1 { key = $0; next } key == "ip" { ip = $0 } key == "port" { port = $0 } key == "slave-priority" { print ip ":" port, $0 }') || return 1
    for entry in "\${giving_back[@]}"; do grep -qxF "$entry" <<<"$known" || return 1; done
  done
}
[ \${#giving_back[@]} -eq 0 ] || until_ok "every Sentinel to report the replica-priorities back" "$PROMOTE_TIMEOUT_S" sees_priorities
echo "done: $primary -> $promoted"
`
