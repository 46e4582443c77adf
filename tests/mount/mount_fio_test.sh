#!/usr/bin/env bash
# fio random reads through the mount, verified against the source bytes, against the real
# imaged (issue 3, "How it is checked"). The source is written locally by fio with
# verification headers (crc32c of each 4 KiB block plus its offset), uploaded, and read
# back through the mount by fio read jobs with --verify: a wrong byte or a block served
# from the wrong offset fails the job.
#   mount_fio_test.sh IMAGED_BINARY IMAGEFS_BINARY
source "$(dirname "$0")/mount_lib.sh"
ml_need fio jq curl cmp

SIZE=$((192 << 20))
fio --name=src --filename="$WORK/src.bin" --rw=write --bs=4k --size=$SIZE --ioengine=psync \
  --verify=crc32c --do_verify=0 --output=/dev/null
ml_start_imaged
ml_upload fio-src raw "$WORK/src.bin" >/dev/null
ml_mount
F=$MNT/images/fio-src

# fio_verify NAME FIO_ARGS...: a random-read job over F with verification; ok when fio
# exits 0, read something, and reported no error.
fio_verify() {
  local name=$1 out; shift
  if out=$(timeout 120 fio --name="$name" --filename="$F" --rw=randread --bs=4k --size=$SIZE \
      --verify=crc32c --readonly --output-format=json "$@" 2>&1) &&
     jq -e '[.jobs[] | (.error == 0 and .read.io_bytes > 0)] | all' <<<"$out" >/dev/null; then
    ml_ok "fio $name ($(jq -r '[.jobs[].read.io_bytes] | add / 1048576 | floor' <<<"$out") MiB verified)"
  else
    ml_fail "fio $name"; grep -v '^ *"' <<<"$out" | head -20
  fi
}

# Cold cache: every read misses first; buffered psync, then O_DIRECT with a queue.
fio_verify cold-buffered --ioengine=psync --number_ios=6000
fio_verify cold-direct-qd16 --ioengine=libaio --direct=1 --iodepth=16 --number_ios=6000
# Four readers at once, O_DIRECT, on a fresh mount with an empty cache (concurrent misses
# of the same blocks make one fetch each, and every reader gets the right bytes).
ml_unmount
rm -rf "$CACHE"; mkdir -p "$CACHE"
ml_mount
fio_verify four-jobs-direct --ioengine=libaio --direct=1 --iodepth=4 --numjobs=4 --number_ios=3000
# Warm: the whole file in cache; random reads are verified again, buffered and direct.
ml_check "the whole file through the mount equals the source" cmp "$F" "$WORK/src.bin"
fio_verify warm-buffered --ioengine=psync --number_ios=20000
fio_verify warm-direct --ioengine=psync --direct=1 --number_ios=20000
ml_finish
