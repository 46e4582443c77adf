#!/usr/bin/env bash
# An image over 1 GiB through the mount, against the real imaged (issue 3, "How it is
# checked"): sparse-ish (mostly zeros, a few random regions, one straddling a block
# boundary and one ending the file), its size not a multiple of the 1 MiB block.
# `cp` and `cmp` give the uploaded bytes; after a remount with the cache kept, the bytes
# come back with no image-data request to imaged (counted from imaged's access log).
# (0 B, 1 B and other awkward small sizes: ReadTest.CopiesAreExactForAwkwardSizes in
# mount_read_test.cc, against the real imaged as well.)
#   mount_large_test.sh IMAGED_BINARY IMAGEFS_BINARY
source "$(dirname "$0")/mount_lib.sh"
ml_need jq curl cmp

SIZE=$(( (1 << 30) + (5 << 20) + 4321 ))   # 1 GiB + 5 MiB + 4321 B
SRC=$WORK/big.raw
truncate -s $SIZE "$SRC"
ml_random_file "$WORK/rnd" $((12 << 20))
put() {  # put SRC_OFFSET_MIB LENGTH DEST_OFFSET_BYTES
  dd if="$WORK/rnd" of="$SRC" bs=4096 iflag=skip_bytes,count_bytes oflag=seek_bytes \
    skip=$(($1 << 20)) count="$2" seek="$3" conv=notrunc status=none
}
put 0 $((64 << 10)) 0                                  # the first 64 KiB
put 1 $((3 << 20)) $(( (300 << 20) - 12345 ))          # 3 MiB across block boundaries
put 5 $((1 << 20)) $(( 700 << 20 ))                    # one whole aligned block
put 7 $((2 << 20)) $(( SIZE - (2 << 20) ))             # the last 2 MiB, to the odd end
put 10 4321 $(( SIZE - (3 << 20) - 4321 ))            # a few bytes in the middle of a block
rm -f "$WORK/rnd"

ml_start_imaged
ID=$(ml_upload big raw "$SRC")
ml_mount
ml_check "stat shows the size ($SIZE)" test "$(stat -c %s "$MNT/images/big")" = $SIZE
ml_check "by-id is the same file" test "$(stat -c %i "$MNT/images/big")" = "$(stat -c %i "$MNT/by-id/$ID")"
ml_check "ls -l lists it with its size" \
  bash -c "ls -l '$MNT/images' | awk '\$NF == \"big\" {print \$5}' | grep -qx $SIZE"
ml_check "cp images/big" cp "$MNT/images/big" "$WORK/copy"
ml_check "cmp: the copy equals the uploaded bytes" cmp "$WORK/copy" "$SRC"
rm -f "$WORK/copy"

# Remount, cache kept: no image-data requests at all.
ml_unmount
before=$(ml_data_gets)
ml_mount
ml_check "after a remount, by-id/<id> reads back identical" cmp "$MNT/by-id/$ID" "$SRC"
got=$(( $(ml_data_gets) - before ))
ml_check "the warm remount made no image-data request to imaged (made $got)" test "$got" -eq 0
ml_finish
