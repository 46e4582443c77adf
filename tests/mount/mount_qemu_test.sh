#!/usr/bin/env bash
# QEMU's tools on the mount, against the real imaged (issue 3, "How it is checked"):
# qemu-img info / compare / convert -O raw of a real qcow2 read through the mount, against
# the original; a local qcow2 overlay whose backing file is on the mount, read back with
# qemu-io (patterns) and qemu-img convert, buffered and with -t none (O_DIRECT, from a
# cold cache).
#   mount_qemu_test.sh IMAGED_BINARY IMAGEFS_BINARY
source "$(dirname "$0")/mount_lib.sh"
ml_need qemu-img qemu-io jq curl cmp

# The guest disk: 256 MiB virtual, 40 MiB of random data in three places, 4 MiB of 0xab at
# 100 MiB (a pattern qemu-io can check), the rest unallocated.
qemu-img create -q -f raw "$WORK/disk.raw" 256M
ml_random_file "$WORK/rnd" $((40 << 20))
dd if="$WORK/rnd" of="$WORK/disk.raw" bs=1M count=16 seek=0 conv=notrunc status=none
dd if="$WORK/rnd" of="$WORK/disk.raw" bs=1M skip=16 count=16 seek=37 conv=notrunc status=none
dd if="$WORK/rnd" of="$WORK/disk.raw" bs=1M skip=32 count=8 seek=248 conv=notrunc status=none
qemu-io -f raw -c 'write -q -P 0xab 100M 4M' "$WORK/disk.raw"
qemu-img convert -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"

ml_start_imaged
ID=$(ml_upload guest qcow2 "$WORK/disk.qcow2")
ml_mount
F=$MNT/images/guest
ml_check "the image shows with the qcow2's size" \
  test "$(stat -c %s "$F")" = "$(stat -c %s "$WORK/disk.qcow2")"

info() { qemu-img info --output=json -f qcow2 "$1" | jq -c '{format, "virtual-size", "cluster-size"}'; }
ml_check "qemu-img info through the mount matches the original" \
  test "$(info "$F")" = "$(info "$WORK/disk.qcow2")"
ml_check "qemu-img info says qcow2, 256 MiB" \
  test "$(info "$F")" = '{"format":"qcow2","virtual-size":268435456,"cluster-size":65536}'
ml_check "qemu-img compare mount vs original qcow2" \
  qemu-img compare -f qcow2 -F qcow2 "$F" "$WORK/disk.qcow2"
ml_check "qemu-img compare mount vs the raw source" \
  qemu-img compare -f qcow2 -F raw "$F" "$WORK/disk.raw"
ml_check "qemu-img convert -O raw through the mount" \
  qemu-img convert -f qcow2 -O raw "$F" "$WORK/out.raw"
ml_check "the converted bytes equal the raw source" cmp "$WORK/out.raw" "$WORK/disk.raw"
rm -f "$WORK/out.raw"

# A local overlay backed by the mounted image (by-id: the name hypervisors use).
qemu-img create -q -f qcow2 -b "$MNT/by-id/$ID" -F qcow2 "$WORK/overlay.qcow2"
ml_check "qemu-io writes a pattern into the local overlay" \
  qemu-io -f qcow2 -c 'write -q -P 0x5a 1M 64k' "$WORK/overlay.qcow2"
# The expected guest view: the source with the overlay's write applied.
cp "$WORK/disk.raw" "$WORK/expect.raw"
qemu-io -f raw -c 'write -q -P 0x5a 1M 64k' "$WORK/expect.raw"

overlay_reads() {  # overlay_reads CACHE_MODE: qemu-io pattern reads and a full read-back
  local t=$1
  ml_check "qemu-io -t $t: backing bytes (0xab at 100M) come through the mount" \
    qemu-io -t "$t" -f qcow2 -c 'read -q -P 0xab 100M 4M' "$WORK/overlay.qcow2"
  ml_check "qemu-io -t $t: the overlay's own write reads back" \
    qemu-io -t "$t" -f qcow2 -c 'read -q -P 0x5a 1M 64k' "$WORK/overlay.qcow2"
  ml_check "qemu-io -t $t: an unallocated backing region reads as zeros" \
    qemu-io -t "$t" -f qcow2 -c 'read -q -P 0 200M 1M' "$WORK/overlay.qcow2"
  # qemu-io prints what a read returned; every byte of the overlay (random data included)
  # is checked by converting the whole chain with the same cache mode.
  ml_check "qemu-img convert -T $t of the overlay chain" \
    qemu-img convert -T "$t" -f qcow2 -O raw "$WORK/overlay.qcow2" "$WORK/chain.raw"
  ml_check "the chain read with -T $t equals source + overlay write" \
    cmp "$WORK/chain.raw" "$WORK/expect.raw"
  rm -f "$WORK/chain.raw"
}
overlay_reads writeback

# docs/semantics.md §8: compare and convert read the image whole, so qemu's later opens
# of it (the overlay's backing file) passed through: the kernel read the cache file.
# Only where the kernel takes passthrough (Linux 6.9+).
ml_unmount
if grep -q "FUSE passthrough on" "$WORK/imagefs.log"; then
  ml_check "qemu's later opens of the wholly cached image passed through" \
    test "$(grep -o 'passthrough opens [0-9]*' "$WORK/imagefs.log" | tail -1 | awk '{print $3}')" -gt 0
fi

# O_DIRECT (QEMU cache=none) from a cold cache: a fresh mount with an emptied cache, so
# the direct reads fetch from imaged rather than meet the page cache or cached blocks.
rm -rf "$CACHE"
mkdir -p "$CACHE"
before=$(ml_data_gets)
ml_mount
overlay_reads none
ml_check "the O_DIRECT reads fetched from imaged" test "$(ml_data_gets)" -gt "$before"
ml_check "qemu-io -t none: 512-byte reads at odd sectors" \
  qemu-io -t none -f qcow2 -c 'read -q -P 0xab 104859136 512' -c 'read -q -P 0 209715712 512' \
  -c 'read -q -P 0x5a 1049088 512' "$WORK/overlay.qcow2"
ml_finish
