#!/bin/bash
# run.sh IMAGED_BINARY [default|multistore]
#
# Runs tempest's image API tests (tempest.api.image) against imaged in Keystone mode:
# starts imaged on a free loopback port with a fresh data directory, points the
# Keystone catalog's "image" endpoints at it, writes tempest.conf, runs tempest,
# and checks the results (check_results.py): no failure, every test the reference
# Glance passes (glance-passed*.txt) and every test in expected-*.txt passes, and
# fewer skips than Glance had (12 default, 9 multi-store).
#
# Needs setup.sh first (it is run when the workspace is missing). Results land in
# $TT_BASE/results/<mode>-<UTC stamp>/. Exit status: 0 green, 1 red, 77 no harness.
#   TT_REGEX   tempest --regex (default '^tempest\.api\.image')
#   TT_KEEP=1  leave imaged running afterwards (its pid in the results folder)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
IMAGED="${1:?usage: $0 IMAGED_BINARY [default|multistore]}"
MODE="${2:-default}"
REGEX="${TT_REGEX:-^tempest\.api\.image}"
IMAGED=$(readlink -f "$IMAGED")

if [ ! -f "$TT_WS_DIR/.stestr.conf" ] || [ ! -f "$TT_KS_CONF" ]; then
  "$HERE/setup.sh"; rc=$?
  [ $rc -eq 0 ] || exit $rc
fi
"$HERE/services.sh" start all || exit 1

OUT="$TT_BASE/results/$MODE-$(date -u +%Y%m%dT%H%M%SZ)"
DATA="$OUT/imaged-data"
mkdir -p "$OUT" "$DATA"

# imaged's configuration for this mode (docs/api.md, "Keystone mode" and the rest).
cat >"$OUT/keystone.json" <<JSON
{"auth_url": "$TT_KS_URL", "username": "$TT_SERVICE_USER", "password": "$TT_SERVICE_PASSWORD",
 "project_name": "service", "user_domain_name": "Default", "project_domain_name": "Default",
 "region_name": "$TT_REGION"}
JSON
chmod 600 "$OUT/keystone.json"
# Locations are shown (tempest's manage_locations, as the reference Glance's
# show_multiple_locations); web-download and http locations may reach loopback only.
ARGS=(--listen 127.0.0.1:0 --port-file "$OUT/port" --data-dir "$DATA" --keystone "$OUT/keystone.json"
      --fsync false --show-multiple-locations true --allowed-hosts 127.0.0.0/8)
ARGS+=(${TT_IMAGED_ARGS:-})
if [ "$MODE" = multistore ]; then
  # The reference Glance's multi-store layout: cheap and fast (file), default fast.
  ARGS+=(${TT_MULTISTORE_ARGS:---stores cheap:$DATA/cheap,fast:$DATA/fast --default-store fast})
  GLANCE_SKIPS=9; EXTRA_MUST_PASS=("$HERE/glance-passed-multistore.txt")
else
  GLANCE_SKIPS=12; EXTRA_MUST_PASS=()
fi
[ -f "$HERE/expected-$MODE.txt" ] && EXTRA_MUST_PASS+=("$HERE/expected-$MODE.txt")

"$IMAGED" "${ARGS[@]}" >"$OUT/imaged.log" 2>&1 &
IMAGED_PID=$!
echo "$IMAGED_PID" >"$OUT/imaged.pid"
stop_imaged() {
  [ "${TT_KEEP:-0}" = 1 ] && return
  kill -TERM "$IMAGED_PID" 2>/dev/null && wait "$IMAGED_PID" 2>/dev/null
}
trap stop_imaged EXIT
for _ in $(seq 1 100); do [ -s "$OUT/port" ] && break; kill -0 $IMAGED_PID 2>/dev/null || break; sleep 0.2; done
if [ ! -s "$OUT/port" ]; then
  echo "imaged did not start:" >&2; tail -20 "$OUT/imaged.log" >&2; exit 1
fi
URL="http://127.0.0.1:$(cat "$OUT/port")"
TT_KS_URL="$TT_KS_URL" TT_ADMIN_PASSWORD="$TT_ADMIN_PASSWORD" TT_REGION="$TT_REGION" \
  /usr/bin/python3 "$HERE/keystone_admin.py" set-endpoint image "$URL" || exit 1

"$HERE/write_tempest_conf.sh" "$TT_WS_DIR/etc/tempest.conf" "$MODE"
cp "$TT_WS_DIR/etc/tempest.conf" "$OUT/"

cd "$TT_WS_DIR"
: >"$TT_WS_DIR/tempest.log"
tt_log "tempest ($MODE) against imaged at $URL, results in $OUT"
t0=$(date +%s)
timeout --kill-after=30 "$TT_RUN_TIMEOUT" tempest run --config-file "$TT_WS_DIR/etc/tempest.conf" \
  --regex "$REGEX" --concurrency "$TT_CONCURRENCY" >"$OUT/console.txt" 2>&1
t1=$(date +%s)
echo "$((t1 - t0))" >"$OUT/wall-seconds"
stestr last --subunit >"$OUT/results.subunit" 2>/dev/null
cp "$TT_WS_DIR/tempest.log" "$OUT/" 2>/dev/null
tt_log "tempest wall time $((t1 - t0)) s"

CHECK=(--max-skips $((GLANCE_SKIPS - 1)) --must-pass "$HERE/glance-passed.txt" --report "$OUT/results.md")
for f in "${EXTRA_MUST_PASS[@]}"; do CHECK+=(--must-pass "$f"); done
[ -n "${TT_REGEX:-}" ] && CHECK=(--report "$OUT/results.md")   # a partial run: counts only
/usr/bin/python3 "$HERE/check_results.py" "$OUT/results.subunit" "${CHECK[@]}"
