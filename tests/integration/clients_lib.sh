# shellcheck shell=bash disable=SC2034  # PID, URL: read by the tests that source this
# Shared by the client shell tests (tests/integration/*clients_test.sh): the real
# imaged on 127.0.0.1 with a temporary directory and a tokens file, for the real
# OpenStack clients from Debian, and the ok/FAIL checks they count. imaged is stopped
# by PID and the temporary directory removed on any exit.
#
#   source "$(dirname "$0")/clients_lib.sh" IMAGED_BINARY
#   cl_need glance openstack        # exits 77 (skipped) when a client is missing
#   cl_tokens <<'JSON'              # the tokens file, on stdin
#   {"tokens": {...}}
#   JSON
#   cl_start_imaged [FLAG...]       # sets PID and URL; extra flags go to imaged
#   check ...; expect_fail ...      # count failures in $fails
#   cl_stop_imaged                  # SIGTERM; its clean exit is one more check
#
# HOME is $WORK/home for every call, as a user's would be: glanceclient caches the
# image schema there, and a schema it cannot read breaks every call after the first.
set -euo pipefail
IMAGED=${1:?usage: $(basename "$0") IMAGED_BINARY}

cl_need() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }; done
}

WORK=$(mktemp -d "/tmp/imaged-$(basename "$0" .sh)-XXXXXX")
PID=""
URL=""
cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then kill "$PID"; wait "$PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export HOME="$WORK/home"
mkdir -p "$HOME"

cl_tokens() { cat >"$WORK/tokens.json"; }

cl_start_imaged() {  # cl_start_imaged [FLAG...]: waits (10 s) for its port
  "$IMAGED" --listen 127.0.0.1:0 --data-dir "$WORK/data" --tokens "$WORK/tokens.json" \
    "$@" --port-file "$WORK/port" 2>"$WORK/imaged.log" &
  PID=$!
  for _ in $(seq 200); do [[ -s "$WORK/port" ]] && break; sleep 0.05; done
  [[ -s "$WORK/port" ]] || { cat "$WORK/imaged.log"; echo "FAIL: imaged did not start"; exit 1; }
  URL="http://127.0.0.1:$(cat "$WORK/port")"
}

fails=0
check() {  # check DESCRIPTION COMMAND... : the command must succeed
  local desc=$1; shift
  if out=$("$@" 2>&1); then
    echo "ok   - $desc"
  else
    echo "FAIL - $desc"; echo "$out" | sed 's/^/       /'; fails=$((fails + 1))
  fi
}
expect_fail() {  # expect_fail DESCRIPTION PATTERN COMMAND... : must fail, saying PATTERN
  local desc=$1 pattern=$2; shift 2
  if out=$("$@" 2>&1); then
    echo "FAIL - $desc (succeeded)"; echo "$out" | sed 's/^/       /'; fails=$((fails + 1))
  elif grep -q -- "$pattern" <<<"$out"; then
    echo "ok   - $desc"
  else
    echo "FAIL - $desc (no '$pattern')"; echo "$out" | sed 's/^/       /'; fails=$((fails + 1))
  fi
}

cl_stop_imaged() {
  kill "$PID"
  if wait "$PID"; then
    echo "ok   - imaged stops cleanly on SIGTERM"
  else
    echo "FAIL - imaged exit status"; fails=$((fails + 1))
  fi
  PID=""
}
