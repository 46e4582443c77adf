#!/usr/bin/env bash
# Backup speed of imaged (issue 5), against a real imaged with fsync on:
#   1. a full backup of a SIZE_MIB image, against `cp` of the same file on the same
#      disk (cp alone, and cp + sync, since a backup is durable when it is available);
#   2. a backup of a second image that differs from the first in 1% of its 1 MiB
#      blocks, against the full backup: time and bytes stored.
#   3. then, imaged restarted on the same data with --fsync false: a full backup
#      against `cp` again, the like-for-like figure (cp does not make its copy
#      durable either).
# Each round: cp, cp+sync, full backup, second backup, then both backups deleted;
# then ROUNDS rounds of cp and a full backup without fsync, each deleted.
# Times are from the POST to the first GET that shows `available` (polled every 10 ms
# with curl alone). The create job's own split ("copy N ms, commit M ms", from
# imaged's INFO log) is printed beside each full backup.
#
# Usage: backup_bench.sh IMAGED [SIZE_MIB=2048] [ROUNDS=3]
# Env:   WORK=DIR (default /var/tmp: the disk under test), DROP_CACHES=1 to drop the
#        page cache before each measurement (root; affects the whole machine),
#        SKIP_NOSYNC=1 to skip part 3.
set -euo pipefail
IMAGED=${1:?usage: backup_bench.sh IMAGED [SIZE_MIB] [ROUNDS]}
SIZE_MIB=${2:-2048}
ROUNDS=${3:-3}
BASE=${WORK:-/var/tmp}
DIR=$(mktemp -d "$BASE/imagefs-backup-bench-XXXXXX")
PID=""
cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then kill "$PID"; wait "$PID" || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }
drop_caches() {
  sync
  if [[ "${DROP_CACHES:-0}" == 1 ]]; then echo 3 >/proc/sys/vm/drop_caches; fi
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

echo "{\"tokens\": {\"tok\": {\"project\": \"bench\"}}}" >"$DIR/tokens.json"
start_imaged() {  # start_imaged FSYNC
  rm -f "$DIR/port"
  "$IMAGED" --listen 127.0.0.1:0 --data-dir "$DIR/data" --tokens "$DIR/tokens.json" \
    --port-file "$DIR/port" --fsync "$1" --log-level info 2>>"$DIR/imaged.log" &
  PID=$!
  for _ in $(seq 200); do [[ -s "$DIR/port" ]] && break; sleep 0.05; done
  URL="http://127.0.0.1:$(cat "$DIR/port")"
}
stop_imaged() { kill "$PID"; wait "$PID" || true; PID=""; }
start_imaged true
H=(-H "X-Auth-Token: tok")
V=(-H "OpenStack-API-Version: volume 3.64")

echo "preparing two ${SIZE_MIB} MiB images (the second differs in 1% of its blocks)..."
head -c $((SIZE_MIB << 20)) /dev/urandom >"$DIR/v1.img"
cp "$DIR/v1.img" "$DIR/v2.img"
CHANGED=$(((SIZE_MIB + 99) / 100))
for ((i = 0; i < CHANGED; i++)); do
  dd if=/dev/urandom of="$DIR/v2.img" bs=1M count=1 seek=$((i * SIZE_MIB / CHANGED)) \
    conv=notrunc status=none
done
upload() {  # upload NAME FILE -> image id
  local id
  id=$(curl -sf -X POST "${H[@]}" -H 'Content-Type: application/json' \
    -d "{\"name\": \"$1\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}" \
    "$URL/v2/images" | json '["id"]')
  curl -sf -X PUT "${H[@]}" -H 'Content-Type: application/octet-stream' -T "$2" \
    "$URL/v2/images/$id/file" >/dev/null
  echo "$id"
}
I1=$(upload v1 "$DIR/v1.img")
I2=$(upload v2 "$DIR/v2.img")
rm -f "$DIR/v1.img" "$DIR/v2.img"
SRC="$DIR/data/images/data/$I1"

backup() {  # backup IMAGE -> "seconds stored_bytes id"
  local t0 id st
  t0=$(now)
  # curl and sed only, here and in the polls: a python start (0.1-0.4 s on this
  # machine) would blur short backups.
  id=$(curl -sf -X POST "${H[@]}" "${V[@]}" -H 'Content-Type: application/json' \
    -d "{\"backup\": {\"volume_id\": \"$1\"}}" "$URL/v3/bench/backups" |
    grep -o '"id": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
  while :; do
    st=$(curl -sf "${H[@]}" "${V[@]}" "$URL/v3/bench/backups/$id" |
      sed -n 's/.*"status": *"\([a-z_]*\)".*/\1/p')
    [[ "$st" != creating ]] && break
    sleep 0.01
  done
  local t1
  t1=$(now)
  [[ "$st" == available ]] || { echo "backup $id ended $st" >&2; exit 1; }
  # The job's own split, from the line it logs once the backup is available.
  for _ in $(seq 100); do grep -q "backup $id of image .* available" "$DIR/imaged.log" && break
    sleep 0.01; done
  grep -o "backup $id of image .*copy [0-9]* ms, commit [0-9]* ms" "$DIR/imaged.log" |
    sed 's/.*copy \([0-9]*\) ms, commit \([0-9]*\) ms/\1 \2/' >"$DIR/split"
  echo "$(elapsed "$t0" "$t1") $(curl -sf "${H[@]}" "${V[@]}" "$URL/v3/bench/backups/$id" |
    json '["backup"]["imagefs:stored_bytes"]') $id"
}
delete() {
  curl -sf -X DELETE "${H[@]}" "${V[@]}" "$URL/v3/bench/backups/$1" >/dev/null
  while [[ "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$URL/v3/bench/backups/$1")" != 404 ]]; do
    sleep 0.01
  done
}

printf '%-6s %9s %11s %11s %12s %11s %13s %8s %10s\n' round cp_s cp_sync_s full_s second_s \
  full_MiB second_MiB copy_ms commit_ms
for ((r = 1; r <= ROUNDS; r++)); do
  drop_caches
  t0=$(now); cp "$SRC" "$DIR/copy"; t1=$(now)
  cp_s=$(elapsed "$t0" "$t1")
  rm -f "$DIR/copy"; drop_caches
  t0=$(now); cp "$SRC" "$DIR/copy"; sync; t1=$(now)
  cp_sync_s=$(elapsed "$t0" "$t1")
  rm -f "$DIR/copy"; drop_caches
  read -r full_s full_bytes full_id < <(backup "$I1")
  read -r copy_ms commit_ms <"$DIR/split"
  drop_caches
  read -r second_s second_bytes second_id < <(backup "$I2")
  printf '%-6s %9s %11s %11s %12s %11.1f %13.1f %8s %10s\n' "$r" "$cp_s" "$cp_sync_s" "$full_s" \
    "$second_s" "$(python3 -c "print($full_bytes / 1048576)")" \
    "$(python3 -c "print($second_bytes / 1048576)")" "$copy_ms" "$commit_ms"
  echo "$cp_s $cp_sync_s $full_s $second_s $full_bytes $second_bytes $copy_ms $commit_ms" \
    >>"$DIR/rounds"
  delete "$second_id"
  delete "$full_id"
done

touch "$DIR/nosync"
if [[ "${SKIP_NOSYNC:-0}" != 1 ]]; then
  stop_imaged
  sync
  start_imaged false
  printf '%-6s %9s %16s %8s %10s\n' nosync cp_s full_nosync_s copy_ms commit_ms
  for ((r = 1; r <= ROUNDS; r++)); do
    drop_caches
    t0=$(now); cp "$SRC" "$DIR/copy"; t1=$(now)
    cp_s=$(elapsed "$t0" "$t1")
    rm -f "$DIR/copy"; drop_caches
    read -r full_s full_bytes full_id < <(backup "$I1")
    read -r copy_ms commit_ms <"$DIR/split"
    printf '%-6s %9s %16s %8s %10s\n' "$r" "$cp_s" "$full_s" "$copy_ms" "$commit_ms"
    echo "$cp_s $full_s $copy_ms $commit_ms" >>"$DIR/nosync"
    delete "$full_id"
  done
fi

python3 - "$DIR/rounds" "$DIR/nosync" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = [statistics.median(c) for c in zip(*rows)]
cp, cp_sync, full, second, full_b, second_b, copy_ms, commit_ms = med
print(f"median: cp {cp:.2f}s, cp+sync {cp_sync:.2f}s, full backup {full:.2f}s "
      f"(copy {copy_ms:.0f} ms, commit {commit_ms:.0f} ms), second backup {second:.3f}s")
print(f"full backup speed / cp speed      = {cp / full:.2f}   (goal >= 0.7)")
print(f"full backup speed / cp+sync speed = {cp_sync / full:.2f}")
nosync = [list(map(float, l.split())) for l in open(sys.argv[2])]
if nosync:
    ns_cp, ns_full, ns_copy, ns_commit = [statistics.median(c) for c in zip(*nosync)]
    print(f"median, imaged --fsync false: cp {ns_cp:.2f}s, full backup {ns_full:.2f}s "
          f"(copy {ns_copy:.0f} ms, commit {ns_commit:.0f} ms)")
    print(f"full backup (fsync off) speed / cp speed = {ns_cp / ns_full:.2f}   "
          f"(like for like; goal >= 0.7)")
print(f"second / full backup, time        = {second / full:.4f} (goal < 0.05)")
print(f"second / full backup, bytes       = {second_b / full_b:.4f} (goal < 0.05)")
PY
