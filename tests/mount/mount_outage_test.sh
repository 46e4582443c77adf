#!/usr/bin/env bash
# imaged stopped while readers run, against the real imaged (issue 3, "How it is
# checked"; docs/semantics.md §6): a reader of cached blocks goes on undisturbed; a reader
# of uncached blocks gets EIO once the retry deadline has passed, not before the outage
# and not much after the deadline (nothing hangs); ls, stat and getfattr answer during
# the outage; after imaged returns the same image reads whole and exact; and a reader
# caught by a short outage (imaged back before the deadline) finishes with exact bytes.
# Readers use O_DIRECT 1 MiB reads in shuffled order, so each read is a miss of its own
# (read-ahead cannot hide the outage). (OfflineTest in mount_offline_test.cc covers
# remounting while imaged is down.)
#   mount_outage_test.sh IMAGED_BINARY IMAGEFS_BINARY
source "$(dirname "$0")/mount_lib.sh"
ml_need jq curl cmp python3 getfattr

DEADLINE=8   # retry_deadline of the mount, seconds
cat >"$WORK/reader.py" <<'EOF'
# reader.py PATH SOURCE PAUSE_S OUT_JSON [LOOPS]: reads PATH with O_DIRECT 1 MiB preads in
# shuffled order (seed 1), PAUSE_S between reads, LOOPS times; compares with SOURCE.
# Creates OUT_JSON.started once the first read returned.
import json, mmap, os, random, sys, time
path, source, pause, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
loops = int(sys.argv[5]) if len(sys.argv) > 5 else 1
src = open(source, "rb").read()
chunk = 1 << 20
order = list(range(0, len(src), chunk))
random.Random(1).shuffle(order)
buf = mmap.mmap(-1, chunk)
res = {"ok_bytes": 0, "errno": 0, "error_at": None, "bad": None, "started": time.time()}
try:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError as e:
        res["errno"], res["error_at"] = e.errno, time.time()
        raise StopIteration
    for _ in range(loops):
        for off in order:
            want = min(chunk, len(src) - off)
            try:
                n = os.preadv(fd, [buf], off)
            except OSError as e:
                res["errno"], res["error_at"] = e.errno, time.time()
                raise StopIteration
            if n != want or buf[:n] != src[off:off + want]:
                res["bad"] = off
                raise StopIteration
            if res["ok_bytes"] == 0:
                open(out + ".started", "w").close()
            res["ok_bytes"] += n
            time.sleep(pause)
except StopIteration:
    pass
res["ended"] = time.time()
json.dump(res, open(out, "w"))
EOF
field() { jq -r ".$2" "$WORK/$1.json"; }

ml_random_file "$WORK/cached" $((16 << 20))
ml_random_file "$WORK/u1" $((128 << 20))
ml_random_file "$WORK/u2" $((48 << 20))
ml_start_imaged
ml_upload cached raw "$WORK/cached" >/dev/null
U1=$(ml_upload u1 raw "$WORK/u1")
ml_upload u2 raw "$WORK/u2" >/dev/null
ml_mount "retry_deadline=${DEADLINE}s" list_ttl=200ms attr_ttl=200ms
I=$MNT/images
ml_check "the cached image reads whole (it is now in the cache)" cmp "$I/cached" "$WORK/cached"

# 1. imaged killed while two readers run.
python3 "$WORK/reader.py" "$I/u1" "$WORK/u1" 0.02 "$WORK/r1.json" & R1=$!
python3 "$WORK/reader.py" "$I/cached" "$WORK/cached" 0.005 "$WORK/r2.json" 12 & R2=$!
wait_started() { for _ in $(seq 600); do [[ -e $WORK/$1.json.started ]] && return 0; sleep 0.05; done; }
wait_started r1; wait_started r2
sleep 0.5
t_stop=$(date +%s.%N)
ml_stop_imaged KILL
ml_log "imaged killed"
# Metadata answers from what the mount knows, before the retry deadline: each call that
# finds the listing stale waits up to sync_wait (1 s) for a refresh first, so getfattr
# (lookup + getxattr) may take a few seconds, but none waits for the deadline.
timed() {  # timed DESCRIPTION COMMAND...: ok when it succeeds within DEADLINE - 0.5 s
  local desc=$1 t0 ms rc=0; shift
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  ml_check "$desc during the outage: ok in ${ms} ms (< $((DEADLINE * 1000 - 500)))" \
    test $rc -eq 0 -a $ms -lt $((DEADLINE * 1000 - 500))
}
timed "ls -l images/" ls -l "$I"
timed "stat by-id/<id>" stat "$MNT/by-id/$U1"
timed "getfattr" getfattr -n user.x-image-meta-name "$I/u1"
ml_check "ls during the outage shows the three images" test "$(ls "$I" | wc -l)" -eq 3
for _ in $(seq 600); do kill -0 $R1 2>/dev/null || break; sleep 0.1; done
kill -0 $R1 2>/dev/null && { ml_fail "the uncached reader still hangs 60 s after the outage began"; kill $R1; }
wait $R1 || true
wait $R2 || true
ml_check "uncached reader: EIO (got errno $(field r1 errno))" test "$(field r1 errno)" = 5
ml_check "uncached reader: every byte before the error was right" test "$(field r1 bad)" = null
ml_check "uncached reader: it was mid-stream when imaged went ($(field r1 ok_bytes) bytes read)" \
  test "$(field r1 ok_bytes)" -gt 0
late=$(python3 -c "print(round($(field r1 error_at) - $t_stop, 2))")
# It retried until the deadline (not an early EIO) and gave up soon after it.
ml_check "uncached reader: EIO ${late} s after the kill (deadline ${DEADLINE} s: within $((DEADLINE - 1))..$((DEADLINE + 6)) s)" \
  python3 -c "import sys; sys.exit(not ($DEADLINE - 1 < $late < $DEADLINE + 6))"
ml_check "cached reader: 12 passes over its image, no error, exact bytes" \
  test "$(field r2 ok_bytes)/$(field r2 errno)/$(field r2 bad)" = "$((12 * (16 << 20)))/0/null"

# 2. imaged returns: the mount recovers by itself.
ml_start_imaged
ml_log "imaged back"
ml_check "after imaged returns, u1 reads whole and exact" cmp "$I/u1" "$WORK/u1"

# 3. A short outage, shorter than the deadline: the reader does not notice.
python3 "$WORK/reader.py" "$I/u2" "$WORK/u2" 0.03 "$WORK/r3.json" & R3=$!
wait_started r3
sleep 0.3
ml_stop_imaged KILL
ml_log "imaged killed for 2 s"
sleep 2
ml_start_imaged
ml_log "imaged back"
for _ in $(seq 600); do kill -0 $R3 2>/dev/null || break; sleep 0.1; done
wait $R3 || true
ml_check "a reader caught by a 2 s outage finishes with exact bytes ($(field r3 ok_bytes) B, errno $(field r3 errno))" \
  test "$(field r3 ok_bytes)/$(field r3 errno)/$(field r3 bad)" = "$((48 << 20))/0/null"
ml_finish
