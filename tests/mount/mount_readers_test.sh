#!/usr/bin/env bash
# Eight readers at once over several images, against the real imaged (issue 3, "How it
# is checked"): three `cp` (then cmp), two fio random-read jobs with verification, two
# `qemu-img compare` and one `qemu-img convert -O raw` (then cmp), all started together
# on a cold cache. Every byte must be right, and imagefs's resident memory (VmRSS sampled
# every 50 ms, and VmHWM) must stay within its budget: max_inflight (64 MiB by default)
# for fetches, one reply buffer of up to 1 MiB per FUSE thread that served a read,
# and the process's own code, heap and cache bookkeeping; 256 MiB all told.
#   mount_readers_test.sh IMAGED_BINARY IMAGEFS_BINARY
source "$(dirname "$0")/mount_lib.sh"
ml_need fio qemu-img jq curl cmp

BUDGET_KB=$((256 << 10))
ml_random_file "$WORK/r1" $((96 << 20))
ml_random_file "$WORK/r2" $(( (80 << 20) + 12345 ))
# A qcow2 with 64 MiB of random data over 256 MiB virtual.
qemu-img create -q -f raw "$WORK/q.raw" 256M
head -c $((64 << 20)) /dev/urandom | dd of="$WORK/q.raw" bs=1M seek=100 conv=notrunc status=none iflag=fullblock
qemu-img convert -f raw -O qcow2 "$WORK/q.raw" "$WORK/q.qcow2"
FSIZE=$((128 << 20))
fio --name=src --filename="$WORK/f.bin" --rw=write --bs=4k --size=$FSIZE --ioengine=psync \
  --verify=crc32c --do_verify=0 --output=/dev/null

ml_start_imaged
ml_upload r1 raw "$WORK/r1" >/dev/null
ml_upload r2 raw "$WORK/r2" >/dev/null
ml_upload q qcow2 "$WORK/q.qcow2" >/dev/null
ml_upload f raw "$WORK/f.bin" >/dev/null
ml_mount
I=$MNT/images

touch "$WORK/sampling"
(
  peak=0
  while [[ -e $WORK/sampling ]]; do
    r=$(ml_rss_kb VmRSS)
    ((r > peak)) && { peak=$r; echo "$peak" >"$WORK/peak"; }
    sleep 0.05
  done
) &
SAMPLER=$!

mkdir -p "$WORK/st"
reader() {  # reader NAME COMMAND...: runs in the background, records its exit status
  local name=$1; shift
  ( set +e; timeout 240 "$@" >"$WORK/st/$name.out" 2>&1; echo $? >"$WORK/st/$name.rc" ) &
}
FIO=(fio --filename="$I/f" --rw=randread --bs=4k --size=$FSIZE --verify=crc32c --readonly
     --number_ios=8000 --output-format=json)
reader cp-r1 bash -c "cp '$I/r1' '$WORK/c1' && cmp '$WORK/c1' '$WORK/r1'"
reader cp-r2 bash -c "cp '$I/r2' '$WORK/c2' && cmp '$WORK/c2' '$WORK/r2'"
reader cp-q bash -c "cp '$I/q' '$WORK/cq' && cmp '$WORK/cq' '$WORK/q.qcow2'"
reader fio-direct "${FIO[@]}" --name=direct --ioengine=libaio --direct=1 --iodepth=8
reader fio-buffered "${FIO[@]}" --name=buffered --ioengine=psync
reader compare-qcow2 qemu-img compare -f qcow2 -F qcow2 "$I/q" "$WORK/q.qcow2"
reader compare-raw qemu-img compare -f qcow2 -F raw "$I/q" "$WORK/q.raw"
reader convert bash -c "qemu-img convert -f qcow2 -O raw '$I/q' '$WORK/qc.raw' && cmp '$WORK/qc.raw' '$WORK/q.raw'"
wait_readers() {
  local n
  for _ in $(seq 2600); do
    n=$(find "$WORK/st" -name '*.rc' | wc -l)
    ((n == 8)) && return 0
    sleep 0.1
  done
}
wait_readers
hwm=$(ml_rss_kb VmHWM)
rm -f "$WORK/sampling"
wait "$SAMPLER" || true
for rc in "$WORK"/st/*.rc; do
  name=$(basename "$rc" .rc)
  if [[ $(cat "$rc") == 0 ]]; then
    if [[ $name == fio-* ]] && ! jq -e '.jobs[0].error == 0 and .jobs[0].read.io_bytes > 0' \
        "$WORK/st/$name.out" >/dev/null 2>&1; then
      ml_fail "reader $name: fio reported an error"; head -20 "$WORK/st/$name.out"
    else
      ml_ok "reader $name: every byte right"
    fi
  else
    ml_fail "reader $name (exit $(cat "$rc"))"; grep -v '^ *"' "$WORK/st/$name.out" | head -20
  fi
done
ml_check "all eight readers finished" test "$(find "$WORK/st" -name '*.rc' | wc -l)" -eq 8
peak=$(cat "$WORK/peak" 2>/dev/null || echo 0)
echo "# imagefs memory with 8 readers: VmRSS peak $((peak >> 10)) MiB, VmHWM $((hwm >> 10)) MiB, budget $((BUDGET_KB >> 10)) MiB"
ml_check "imagefs VmRSS stayed within $((BUDGET_KB >> 10)) MiB (peak $((peak >> 10)) MiB)" test "$peak" -le $BUDGET_KB
ml_check "imagefs VmHWM within $((BUDGET_KB >> 10)) MiB ($((hwm >> 10)) MiB)" test "$hwm" -le $BUDGET_KB
ml_finish
