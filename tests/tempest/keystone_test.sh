#!/bin/bash
# keystone_test.sh IMAGED_BINARY - imaged's Keystone mode against the harness's real
# Keystone (docs/api.md, "Keystone mode"), and web-download's allow-list.
#
# Cases: no token and a bad token (401 with WWW-Authenticate), a valid token, a token
# of another project (sees nothing private, may not change anything), a revoked
# token (401 once the cache time passes), an expired token (401), imaged's own token
# refused mid-run (it logs in again once and the request succeeds), Keystone stopped
# (a clear log line, 503 or 401 within the timeout, no hang; recovery when it comes
# back), and web-download refusing a URL outside the allow-list and a URL that
# redirects outside it.
#
# Exit: 0 all pass, 1 a failure, 77 the harness cannot be set up (no Keystone).
# Everything listens on 127.0.0.1; every wait is bounded. Stops only what it starts
# (imaged, the redirect server), and restarts the harness Keystone it stopped.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
IMAGED=$(readlink -f "${1:?usage: $0 IMAGED_BINARY}")
[ -x "$IMAGED" ] || { echo "no imaged at $IMAGED" >&2; exit 1; }
command -v keystone-manage >/dev/null 2>&1 || { echo "SKIP: keystone is not installed" >&2; exit 77; }
if [ ! -f "$TT_KS_CONF" ]; then
  "$HERE/setup.sh" >/dev/null 2>&1 || { echo "SKIP: the harness cannot be set up" >&2; exit 77; }
fi
"$HERE/services.sh" start all >/dev/null || { echo "SKIP: the harness Keystone does not start" >&2; exit 77; }

export TT_KS_URL TT_ADMIN_PASSWORD TT_REGION
KA=(/usr/bin/python3 "$HERE/keystone_admin.py")
WORK=$(mktemp -d /tmp/imagefs-keystone-test.XXXXXX)
IMAGED_PID="" REDIR_PID=""
cleanup() {
  [ -n "$IMAGED_PID" ] && kill -TERM "$IMAGED_PID" 2>/dev/null && wait "$IMAGED_PID" 2>/dev/null
  [ -n "$REDIR_PID" ] && kill -TERM "$REDIR_PID" 2>/dev/null && wait "$REDIR_PID" 2>/dev/null
  "$HERE/services.sh" start keystone >/dev/null 2>&1 || true
  "${KA[@]}" set-enabled "$TT_SERVICE_USER" true >/dev/null 2>&1 || true
  [ "${KT_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
expect() {  # expect NAME WANT GOT
  if [ "$2" = "$3" ]; then pass "$1 ($3)"; else fail "$1: want $2, got $3"; fi
}
# req METHOD PATH TOKEN [BODY [CONTENT_TYPE]] -> prints the status; body in $WORK/body
req() {
  local args=(-s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 20 -X "$1")
  [ -n "$3" ] && args+=(-H "X-Auth-Token: $3")
  [ $# -ge 4 ] && args+=(-H "Content-Type: ${5:-application/json}" --data-binary "$4")
  curl "${args[@]}" "$URL$2"
}
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$WORK/body')); print($1)"; }

# Projects and users of this test (idempotent).
"${KA[@]}" ensure-user kt-alice kt-alice-pw kt-proj-a member >/dev/null || exit 77
"${KA[@]}" ensure-user kt-bob kt-bob-pw kt-proj-b member >/dev/null || exit 77
alice() { "${KA[@]}" token kt-alice kt-alice-pw kt-proj-a; }
TOKEN_A=$(alice) && TOKEN_B=$("${KA[@]}" token kt-bob kt-bob-pw kt-proj-b) || exit 77

# imaged, caching validations 3 s so revocation shows quickly, 2 s Keystone timeout.
cat >"$WORK/keystone.json" <<JSON
{"auth_url": "$TT_KS_URL/v3", "username": "$TT_SERVICE_USER", "password": "$TT_SERVICE_PASSWORD",
 "project_name": "service", "token_cache_time": 3, "timeout": 2}
JSON
chmod 600 "$WORK/keystone.json"
"$IMAGED" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/data" \
  --keystone "$WORK/keystone.json" --fsync false --allowed-hosts 127.0.0.0/8 \
  >"$WORK/imaged.log" 2>&1 &
IMAGED_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { cat "$WORK/imaged.log"; echo "imaged did not start" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$WORK/port")"

# 1. Missing and bad tokens.
expect "no token" 401 "$(req GET /v2/images "")"
grep -qi "^WWW-Authenticate: Keystone uri=" "$WORK/headers" && pass "WWW-Authenticate" \
  || fail "no WWW-Authenticate: Keystone uri=... on 401"
expect "bad token" 401 "$(req GET /v2/images not-a-token)"

# 2. A valid token: create and read a private image.
expect "valid token creates" 201 "$(req POST /v2/images "$TOKEN_A" \
  '{"name": "kt", "visibility": "private", "disk_format": "raw", "container_format": "bare"}')"
IMG=$(json 'd["id"]')
PROJ_A=$(json 'd["owner"]')
expect "valid token reads" 200 "$(req GET "/v2/images/$IMG" "$TOKEN_A")"

# 3. Another project's token.
expect "other project: private image hidden" 404 "$(req GET "/v2/images/$IMG" "$TOKEN_B")"
req GET /v2/images "$TOKEN_B" >/dev/null
expect "other project: not listed" 0 "$(json "sum(1 for i in d['images'] if i['id'] == '$IMG')")"
expect "other project: may not delete" 404 "$(req DELETE "/v2/images/$IMG" "$TOKEN_B")"
[ -n "$PROJ_A" ] && pass "owner is the token's project ($PROJ_A)" || fail "no owner"

# 4. A revoked token: refused once the 3 s cache time has passed.
T=$(alice)
expect "token before revocation" 200 "$(req GET "/v2/images/$IMG" "$T")"
"${KA[@]}" revoke "$T"
sleep 4
expect "revoked token" 401 "$(req GET "/v2/images/$IMG" "$T")"

# 5. An expired token (Keystone caps it at its application credential's expiry).
T=$("${KA[@]}" short-token kt-alice kt-alice-pw kt-proj-a 8)
first=$(req GET "/v2/images/$IMG" "$T")
sleep 10
expect "expired token" 401 "$(req GET "/v2/images/$IMG" "$T")"
[ "$first" = 200 ] || echo "note: the short token was already near expiry on first use ($first)"

# 6. imaged's own token refused mid-run: disabling the service user revokes its
#    tokens (Keystone then answers 401 to imaged, as for an expired token).
#    Keystone's revocation events have a one-second resolution: a token issued in the
#    same second as the event counts as revoked too, so let that second pass before
#    imaged logs in again (otherwise its fresh token is refused as well, and a single
#    re-login, by design, ends in 503).
"${KA[@]}" set-enabled "$TT_SERVICE_USER" false
"${KA[@]}" set-enabled "$TT_SERVICE_USER" true
T=$(alice)
sleep 1.2
expect "service token refused: request after re-login" 200 "$(req GET "/v2/images/$IMG" "$T")"
grep -q "refused imaged's service token; logging in again" "$WORK/imaged.log" \
  && pass "re-login logged" || fail "no re-login line in the log"

# 7. Keystone stopped: clear log line, 503 or 401 quickly, recovery afterwards.
T=$(alice)   # never used: not cached
"$HERE/services.sh" stop keystone >/dev/null
t0=$(date +%s%N)
code=$(req GET "/v2/images/$IMG" "$T")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
case "$code" in 503|401) pass "keystone down answers $code in ${ms} ms" ;;
                *) fail "keystone down: want 503 or 401, got $code" ;; esac
[ "$ms" -lt 10000 ] || fail "keystone down: answer took ${ms} ms"
grep -q "keystone at .* unavailable" "$WORK/imaged.log" && pass "keystone-down logged" \
  || fail "no 'keystone ... unavailable' log line"
"$HERE/services.sh" start keystone >/dev/null || fail "keystone did not come back"
code=""
for _ in $(seq 1 30); do
  code=$(req GET "/v2/images/$IMG" "$T"); [ "$code" = 200 ] && break; sleep 1
done
expect "keystone back: token accepted" 200 "$code"

# 8. web-download and the allow-list (loopback only here).
TOKEN_A=$(alice)
new_image() {
  req POST /v2/images "$TOKEN_A" '{"name": "wd", "disk_format": "raw", "container_format": "bare"}' \
    >/dev/null
  json 'd["id"]'
}
W1=$(new_image)
expect "web-download outside the allow-list" 400 "$(req POST "/v2/images/$W1/import" "$TOKEN_A" \
  '{"method": {"name": "web-download", "uri": "http://192.0.2.10/image.raw"}}')"
# A loopback server that redirects every GET and HEAD outside the allow-list.
cat >"$WORK/redirect.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", "http://192.0.2.10/image.raw")
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_HEAD = do_GET
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PY
/usr/bin/python3 "$WORK/redirect.py" "$WORK/redir.port" &
REDIR_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/redir.port" ] && break; sleep 0.1; done
W2=$(new_image)
code=$(req POST "/v2/images/$W2/import" "$TOKEN_A" \
  "{\"method\": {\"name\": \"web-download\", \"uri\": \"http://127.0.0.1:$(cat "$WORK/redir.port")/x\"}}")
expect "web-download of a redirecting URL is accepted" 202 "$code"
status="" failed=""
for _ in $(seq 1 30); do
  req GET "/v2/images/$W2" "$TOKEN_A" >/dev/null
  status=$(json 'd["status"]'); failed=$(json 'd.get("os_glance_failed_import", "")')
  [ "$status" = queued ] && [ -n "$failed" ] && break
  sleep 0.5
done
expect "redirect outside the allow-list: import failed, image queued" "queued/$failed" \
  "$status/$failed"
[ -n "$failed" ] || fail "os_glance_failed_import not set"
req GET "/v2/images/$W2/tasks" "$TOKEN_A" >/dev/null
msg=$(json 'd["tasks"][0]["message"]' 2>/dev/null)
echo "  task message: $msg"
case "$msg" in *allow*|*not\ allowed*|*refus*|*permit*) pass "task names the refusal" ;;
               *) fail "task message does not name the refused redirect: $msg" ;; esac

[ $FAILED = 0 ] && echo "keystone_test: all passed" || { echo "keystone_test: FAILED (log: $WORK)"; KT_KEEP=1; }
exit $FAILED
