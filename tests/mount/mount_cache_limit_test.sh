#!/usr/bin/env bash
# The block cache keeps to cache_size under a workload larger than it, against the real
# imaged (issue 3, "How it is checked"): cache_size=48M, five 32 MiB images read whole
# (160 MiB), sequentially and at random, while a sampler watches the disk space the
# cache's block files take (allocated bytes, du -B1); every byte read is right, and an
# image evicted early reads back right (fetched again).
#   mount_cache_limit_test.sh IMAGED_BINARY IMAGEFS_BINARY
source "$(dirname "$0")/mount_lib.sh"
ml_need jq curl cmp fio

LIMIT=$((48 << 20))
SLACK=$((4 << 20))   # index and state files, and one block being stored past the limit
ml_start_imaged
for i in 1 2 3 4 5; do
  ml_random_file "$WORK/img$i" $((32 << 20))
  ml_upload "img$i" raw "$WORK/img$i" >/dev/null
done
ml_mount cache_size=48M

# Allocated bytes under the cache's block directory, sampled every 50 ms into a file.
touch "$WORK/sampling"
(
  peak=0
  while [[ -e $WORK/sampling ]]; do
    b=$(du -s -B1 "$CACHE/blocks" 2>/dev/null | cut -f1)
    ((b > peak)) && { peak=$b; echo "$peak" >"$WORK/peak"; }
    sleep 0.05
  done
) &
SAMPLER=$!
for i in 1 2 3 4 5; do
  ml_check "img$i read whole through the mount is exact" cmp "$MNT/images/img$i" "$WORK/img$i"
done
# Random 64 KiB reads over all five (O_DIRECT: each one reaches imagefs), compared
# with the sources.
ml_check "random O_DIRECT reads over 160 MiB through a 48 MiB cache are exact" python3 - "$MNT/images" "$WORK" <<'EOF'
import mmap, os, random, sys
mnt, work = sys.argv[1], sys.argv[2]
rng = random.Random(7)
buf = mmap.mmap(-1, 1 << 20)
fds = {i: os.open(f"{mnt}/img{i}", os.O_RDONLY | os.O_DIRECT) for i in range(1, 6)}
src = {i: open(f"{work}/img{i}", "rb").read() for i in range(1, 6)}
for _ in range(600):
    i = rng.randint(1, 5)
    off = rng.randrange(0, (32 << 20) - 65536, 4096)
    n = os.preadv(fds[i], [memoryview(buf)[:65536]], off)
    if n != 65536 or buf[:65536] != src[i][off:off + 65536]:
        sys.exit(f"img{i} offset {off}: wrong bytes ({n} read)")
EOF
# img1 went out of the block cache long ago: it is fetched again, and right (read with
# O_DIRECT: the kernel's page cache may still hold img1 from the first pass).
before=$(ml_data_gets)
ml_check "img1, evicted, reads back exact" \
  bash -c "dd if='$MNT/images/img1' iflag=direct bs=1M status=none | cmp - '$WORK/img1'"
ml_check "img1 was fetched again" test "$(ml_data_gets)" -gt "$before"
rm -f "$WORK/sampling"
wait "$SAMPLER" || true
peak=$(cat "$WORK/peak" 2>/dev/null || echo 0)
now=$(du -s -B1 "$CACHE/blocks" | cut -f1)
echo "# cache allocated: peak $((peak >> 10)) KiB, at the end $((now >> 10)) KiB, limit $((LIMIT >> 10)) KiB"
ml_check "the cache's allocated bytes never exceeded cache_size + $((SLACK >> 20)) MiB" \
  test "$peak" -le $((LIMIT + SLACK))
ml_check "the cache did fill (the workload really was larger than it)" \
  test "$peak" -ge $((LIMIT / 2))
# And after a remount the cache still keeps to the limit (nothing leaked on disk).
ml_unmount
ml_check "after unmount the cache holds at most the limit + slack" \
  test "$(du -s -B1 "$CACHE" | cut -f1)" -le $((LIMIT + SLACK))
ml_finish
