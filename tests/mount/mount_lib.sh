# shellcheck shell=bash
# Shared by the shell mount tests (tests/mount/mount_*_test.sh): the real imaged on
# 127.0.0.1 with a temporary data directory, the real imagefs mounted over it, and
# real clients (cp, cmp, qemu-img, qemu-io, fio). Everything started here is stopped by
# PID and unmounted on any exit; the temporary directory is removed.
#
#   source mount_lib.sh IMAGED_BINARY IMAGEFS_BINARY
# Exits 77 (skipped) without root or /dev/fuse, or when a needed tool is missing
# (ml_need TOOL...). Each test prints "ok"/"FAIL" lines and ends with ml_finish, which
# prints "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail
IMAGED=${1:?usage: TEST IMAGED_BINARY IMAGEFS_BINARY}
IMAGEFS=${2:?usage: TEST IMAGED_BINARY IMAGEFS_BINARY}
ML_PASSED=0
ML_FAILED=0

ml_skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) == 0 && -c /dev/fuse ]] || ml_skip "needs root and /dev/fuse"
command -v fusermount3 >/dev/null || ml_skip "fusermount3 not installed"
ml_need() { local t; for t in "$@"; do command -v "$t" >/dev/null || ml_skip "$t not installed"; done; }

WORK=$(mktemp -d /tmp/imagefs-mount-sh-XXXXXX)
cd "$WORK"  # tools that drop state files in the working directory (fio) drop them here
MNT=$WORK/mnt
CACHE=$WORK/cache
IMAGED_PID=""
IMAGEFS_PID=""
PORT=""
URL=""
mkdir -p "$MNT" "$CACHE"

ml_log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$*"; }
ml_ok() { echo "ok   - $*"; ML_PASSED=$((ML_PASSED + 1)); }
ml_fail() { echo "FAIL - $*"; ML_FAILED=$((ML_FAILED + 1)); }
# ml_check DESCRIPTION COMMAND...: ok when the command succeeds
ml_check() {
  local desc=$1 out; shift
  if out=$("$@" 2>&1); then ml_ok "$desc"; else ml_fail "$desc"; sed 's/^/       /' <<<"$out" | tail -20; fi
}

ml_cleanup() {
  local rc=$?
  ml_unmount 2>/dev/null || true
  ml_stop_imaged KILL 2>/dev/null || true
  if ((rc != 0 && rc != 77)) || ((ML_FAILED > 0)); then
    echo "--- imaged log (tail)"; tail -5 "$WORK/imaged.log" 2>/dev/null || true
    echo "--- imagefs log (tail)"; tail -20 "$WORK/imagefs.log" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap ml_cleanup EXIT
trap 'exit 130' INT TERM

# Starts imaged (demo mode, no tokens). The first start picks a free port; later
# starts reuse it, so a mount keeps its URL across a restart.
ml_start_imaged() {
  local listen=127.0.0.1:${PORT:-0}
  rm -f "$WORK/port"
  "$IMAGED" --listen "$listen" --data-dir "$WORK/imaged" --port-file "$WORK/port" --fsync false \
    2>>"$WORK/imaged.log" >/dev/null &
  IMAGED_PID=$!
  for _ in $(seq 400); do
    if [[ -s $WORK/port ]]; then
      PORT=$(cat "$WORK/port")
      URL=http://127.0.0.1:$PORT
      curl -sf -o /dev/null "$URL/versions" && return 0
    fi
    kill -0 "$IMAGED_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "imaged did not start:"; tail -5 "$WORK/imaged.log"; exit 1
}
# ml_stop_imaged [SIGNAL]: stops imaged (TERM by default) and waits for it.
ml_stop_imaged() {
  [[ -n $IMAGED_PID ]] || return 0
  kill -"${1:-TERM}" "$IMAGED_PID" 2>/dev/null || true
  wait "$IMAGED_PID" 2>/dev/null || true
  IMAGED_PID=""
}

# ml_upload NAME DISK_FORMAT FILE: creates and uploads an image; prints its id.
ml_upload() {
  local id
  id=$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"name\": \"$1\", \"disk_format\": \"$2\", \"container_format\": \"bare\"}" \
    "$URL/v2/images" | jq -r .id)
  [[ -n $id && $id != null ]] || { echo "create $1 failed" >&2; return 1; }
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T "$3" \
    "$URL/v2/images/$id/file" || { echo "upload $1 failed" >&2; return 1; }
  echo "$id"
}

# Requests imaged has logged so far (one access line per request, with the route).
ml_data_gets() { grep -c 'GET /v2/images/{image_id}/file ' "$WORK/imaged.log" || true; }

# ml_mount [OPTION...]: mounts imagefs on MNT (cache in CACHE, kept between mounts) in
# the foreground, backgrounded; waits until the listing shows images/.
ml_mount() {
  local opts="cache_dir=$CACHE,retry_deadline=5s,connect_timeout=1s,stall_timeout=3s" o
  for o in "$@"; do opts+=",$o"; done
  "$IMAGEFS" "$URL" "$MNT" -f -o "$opts" 2>>"$WORK/imagefs.log" >/dev/null &
  IMAGEFS_PID=$!
  for _ in $(seq 400); do
    if awk -v m="$MNT" '$2 == m {f = 1} END {exit !f}' /proc/mounts && [[ -d $MNT/images ]]; then
      return 0
    fi
    kill -0 "$IMAGEFS_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "imagefs did not mount:"; tail -20 "$WORK/imagefs.log"; exit 1
}
# ml_unmount: fusermount3 -u, waits for imagefs to exit (its cache lock is then free);
# lazy unmount and SIGKILL if it does not within 10 s.
ml_unmount() {
  [[ -n $IMAGEFS_PID ]] || return 0
  if awk -v m="$MNT" '$2 == m {f = 1} END {exit !f}' /proc/mounts; then
    fusermount3 -u "$MNT" 2>/dev/null || true
  fi
  for _ in $(seq 200); do kill -0 "$IMAGEFS_PID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$IMAGEFS_PID" 2>/dev/null; then
    fusermount3 -u -z "$MNT" 2>/dev/null || true
    kill -KILL "$IMAGEFS_PID" 2>/dev/null || true
  fi
  wait "$IMAGEFS_PID" 2>/dev/null || true
  IMAGEFS_PID=""
}
# Resident memory of imagefs, KiB: ml_rss_kb VmRSS|VmHWM
ml_rss_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$IMAGEFS_PID/status" 2>/dev/null || echo 0; }

# ml_random_file PATH BYTES: incompressible bytes.
ml_random_file() { head -c "$2" /dev/urandom >"$1"; }

ml_finish() {
  echo "$ML_PASSED passed, $ML_FAILED failed"
  ((ML_FAILED == 0))
}
