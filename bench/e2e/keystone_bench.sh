#!/usr/bin/env bash
# bench/e2e/keystone_bench.sh IMAGED_BINARY -- issue 6's speed figure:
#   GET /v2/images/{id} req/s with a Keystone token (validated once, then served
#   from imaged's token cache) / the same with the tokens file. Goal: >= 0.9.
#
# Two imageds on 127.0.0.1, the same one image each: one in Keystone mode against
# the tempest harness's Keystone (tests/tempest/, started if needed), one with a
# tokens file. wrk runs alternate between them (REPS runs per side, the median
# kept), each run DUR seconds with CONNS connections. Run under
#   flock /tmp/imagefs-bench.lock bench/e2e/keystone_bench.sh IMAGED
# Prints every run and the final ratio. Stops only what it started, by PID.
# Exit 77 when the Keystone harness cannot be set up.
#   DUR=8 REPS=3 CONNS=8 THREADS=2
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TT="$ROOT/tests/tempest"
. "$TT/env.sh"
IMAGED=$(readlink -f "${1:?usage: $0 IMAGED_BINARY}")
DUR="${DUR:-8}" REPS="${REPS:-3}" CONNS="${CONNS:-8}" THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 77; }
[ -f "$TT_KS_CONF" ] || "$TT/setup.sh" >/dev/null 2>&1 || exit 77
"$TT/services.sh" start keystone >/dev/null || exit 77
export TT_KS_URL TT_ADMIN_PASSWORD TT_REGION

WORK=$(mktemp -d /tmp/imagefs-keystone-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

/usr/bin/python3 "$TT/keystone_admin.py" ensure-user kb-user kb-user-pw kb-proj member >/dev/null || exit 77
KTOKEN=$(/usr/bin/python3 "$TT/keystone_admin.py" token kb-user kb-user-pw kb-proj) || exit 77

start() {  # start NAME ARGS... -> URL in $WORK/NAME.url
  local name="$1"; shift
  "$IMAGED" --listen 127.0.0.1:0 --port-file "$WORK/$name.port" --data-dir "$WORK/$name" \
    --fsync false --log-level warn "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$WORK/$name.port" ] && break; sleep 0.1; done
  [ -s "$WORK/$name.port" ] || { cat "$WORK/$name.log"; exit 1; }
  echo "http://127.0.0.1:$(cat "$WORK/$name.port")" >"$WORK/$name.url"
}
cat >"$WORK/keystone.json" <<JSON
{"auth_url": "$TT_KS_URL/v3", "username": "$TT_SERVICE_USER", "password": "$TT_SERVICE_PASSWORD",
 "project_name": "service"}
JSON
chmod 600 "$WORK/keystone.json"
echo '{"tokens": {"bench-token": {"project": "kb-proj", "roles": ["member", "reader"]}}}' \
  >"$WORK/tokens.json"
start ks --keystone "$WORK/keystone.json"
start tf --tokens "$WORK/tokens.json"

image() {  # image NAME TOKEN -> id
  curl -sf --max-time 20 -X POST -H "X-Auth-Token: $2" -H "Content-Type: application/json" \
    -d '{"name": "bench", "disk_format": "raw", "container_format": "bare"}' \
    "$(cat "$WORK/$1.url")/v2/images" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
KS_ID=$(image ks "$KTOKEN") && TF_ID=$(image tf bench-token) || { echo "cannot create images" >&2; exit 1; }

run() {  # run NAME TOKEN ID -> req/s
  wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 5s -H "X-Auth-Token: $2" \
    "$(cat "$WORK/$1.url")/v2/images/$3" 2>&1 | awk '/^Requests\/sec/ {print $2}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
KS=() TF=()
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$REPS"); do
  k=$(run ks "$KTOKEN" "$KS_ID"); t=$(run tf bench-token "$TF_ID")
  echo "run $i: keystone $k req/s, tokens file $t req/s"
  KS+=("$k"); TF+=("$t")
done
mk=$(median "${KS[@]}"); mt=$(median "${TF[@]}")
ratio=$(awk -v a="$mk" -v b="$mt" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "GET /v2/images/{id}: keystone (cached) $mk req/s, tokens file $mt req/s, ratio $ratio (goal >= 0.9)"
