#!/usr/bin/env bash
# The quick tour: installs what is missing, builds, starts imaged with its embedded
# defaults (demo mode: no tokens, one project), uploads two sample images, mounts the
# catalog on ./mnt and shows it. It then waits; Ctrl-C unmounts and stops everything.
#   tools/demo.sh          build, run, wait for Ctrl-C
#   tools/demo.sh --once   the same, but tear down after the tour (for scripts)
# Knobs: PORT (9292), DEMO_DIR (./var/demo: imaged's data, the block cache, logs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${PORT:-9292}
DEMO_DIR=${DEMO_DIR:-$ROOT/var/demo}
MNT=$ROOT/mnt
URL=http://127.0.0.1:$PORT
ONCE=0
[[ "${1:-}" == "--once" ]] && ONCE=1

tools/install-deps.sh
echo "== building (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target imaged imagefs
IMAGED=$ROOT/build/release/service/api/imaged
IMAGEFS=$ROOT/build/release/fs/imagefs

IMAGED_PID=""
cleanup() {
  echo
  echo "== stopping"
  if mountpoint -q "$MNT" 2>/dev/null; then fusermount3 -u "$MNT" || fusermount3 -u -z "$MNT" || true; fi
  if [[ -n "$IMAGED_PID" ]] && kill -0 "$IMAGED_PID" 2>/dev/null; then
    kill "$IMAGED_PID"; wait "$IMAGED_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

mkdir -p "$DEMO_DIR" "$MNT"
if curl -sf "$URL/versions" >/dev/null 2>&1; then
  echo "something already listens on $URL; set PORT=... to use another port" >&2
  exit 1
fi
echo "== starting imaged on $URL (data in $DEMO_DIR/imaged, log $DEMO_DIR/imaged.log)"
"$IMAGED" --listen "127.0.0.1:$PORT" --data-dir "$DEMO_DIR/imaged" 2>>"$DEMO_DIR/imaged.log" &
IMAGED_PID=$!
for _ in $(seq 100); do curl -sf "$URL/versions" >/dev/null && break; sleep 0.1; done

upload() {  # upload NAME DISK_FORMAT FILE: creates and uploads unless an image of that name exists
  local name=$1 fmt=$2 file=$3 id
  if curl -sf "$URL/v2/images?name=$name" | grep -q "\"name\":\"$name\""; then return; fi
  id=$(curl -sf -X POST -H 'Content-Type: application/json' \
        -d "{\"name\": \"$name\", \"disk_format\": \"$fmt\", \"container_format\": \"bare\", \"os_distro\": \"demo\"}" \
        "$URL/v2/images" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p')
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T "$file" "$URL/v2/images/$id/file"
  echo "   uploaded $name ($fmt, $(stat -c %s "$file") bytes) as $id"
}
echo "== sample images"
SAMPLES=$DEMO_DIR/samples
mkdir -p "$SAMPLES"
[[ -f $SAMPLES/disk.qcow2 ]] || {
  qemu-img create -q -f qcow2 "$SAMPLES/disk.qcow2" 1G
  head -c 8M /dev/urandom >"$SAMPLES/payload"
  qemu-io -f qcow2 -c "write -s $SAMPLES/payload 0 8M" "$SAMPLES/disk.qcow2" >/dev/null
}
[[ -f $SAMPLES/notes.raw ]] || head -c 3M /dev/urandom >"$SAMPLES/notes.raw"
upload demo-disk qcow2 "$SAMPLES/disk.qcow2"
upload demo-raw raw "$SAMPLES/notes.raw"

echo "== mounting on $MNT"
"$IMAGEFS" "$URL" "$MNT" -o "cache_dir=$DEMO_DIR/cache,log_file=$DEMO_DIR/imagefs.log"
for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.1; done

run() { echo "\$ $*"; "$@"; echo; }
run ls -l "$MNT/images" "$MNT/by-id"
run getfattr -d "$MNT/images/demo-disk"
run qemu-img info "$MNT/images/demo-disk"
run setfattr -n user.x-image-meta-property-owner_note -v "edited through the mount" "$MNT/images/demo-raw"
run curl -s "$URL/v2/images?name=demo-raw"

cat <<MSG
imaged is on $URL (demo mode: no token needed) and its catalog is mounted on $MNT.
Try:
  ls -l $MNT/images; cmp $MNT/images/demo-raw $SAMPLES/notes.raw
  getfattr -d $MNT/images/demo-raw; setfattr -n user.x-image-meta-name -v renamed $MNT/images/demo-raw
  glance --os-image-url $URL --os-auth-token demo image-list
  qemu-img create -f qcow2 -b $MNT/by-id/<id> -F qcow2 /tmp/overlay.qcow2
MSG
if [[ $ONCE -eq 1 ]]; then exit 0; fi
echo "Ctrl-C to unmount and stop."
while kill -0 "$IMAGED_PID" 2>/dev/null; do sleep 1; done
