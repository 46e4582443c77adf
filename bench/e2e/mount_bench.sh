#!/usr/bin/env bash
# bench/e2e/mount_bench.sh -- issue 3's speed benchmark: the imagefs read path beside
# its baselines, from one run on this machine (everything on 127.0.0.1).
#
# Corpus (kept in $WORK between runs): big.bin, 2 GiB from /dev/urandom; img.qcow2, a
# 4 GiB-virtual qcow2 with 768 MiB of random data and 256 MiB of 0xab (as in
# shared/reference/fuse-peers); 10,000 small active images for `ls -l`. imaged holds
# them all (its own data directory under $WORK, started with --fsync false so that
# the 10,000 uploads are quick; reads do not care); nginx serves big.bin and
# img.qcow2 for the peers. The sources are always in the page cache: "cold" means
# the client side is cold (fresh mount, empty block cache), as in the peers' runs.
#
# Rows (figure | imagefs | baseline | ratio | goal), then httpdirfs and rclone:
#   cold sequential 2 GiB read (dd bs=1M)         / curl -o /dev/null from imaged
#   warm read after a remount, block-cache files in the page cache
#                                                 / ptfs (bench/e2e/mount/ptfs.c, a trivial
#                                                   low-level passthrough) of the local file
#   the same after drop_caches (both read the disk)
#   second read in the same mount                 / dd of the local file in the page cache
#   fio 4 KiB randread QD1, warm cache, O_DIRECT  / the same through ptfs
#   fio 4 KiB randread QD1, buffered, page cache warm / the local file
#   (and, for the two page-cache rows, the ceiling: ptfs with keep_cache / the local file)
#   qemu-img convert -O raw of img.qcow2, cold and warm (after a remount) / the local file
#   ls -l of the 10,000 images, first after mount and warm (median of 3)
#   (and the cold read and cold convert again with -o verify=sha256, and the warm rows
#   with -o nopassthrough)
# ptfs gets the same kernel read-ahead as imagefs (read_ahead_kb=1024). The peers are
# Debian's httpdirfs 1.2.5 (--cache, and --no-range-check because it wants
# Accept-Ranges on a 206, which nginx does not send; as packaged it sleeps 100 ms per
# HTTP request) and rclone mount (--vfs-cache-mode full), both over nginx.
#
# Knobs: WORK=/var/tmp/imagefs-mount-bench  PORT=19292 (imaged)  NGINX_PORT=18081
#        FIO_RT=5 (s per fio run)  SEQ_TMO=150 (cap per 2 GiB read)  PEERS=1 (0 skips them)
#        NLS=10000  IMAGED=... IMAGEFS=... (default: build/release, built if missing)
#        IMAGEFS_OPTS="opt=v,..." (more -o options for imagefs)
# Run as root, under `flock /tmp/imagefs-bench.lock`. Stops everything it started, by
# PID, on any exit; unmounts what it mounted.
set -uo pipefail
{ # one group: parsed before it runs, so an edit during a run cannot derail it

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK=${WORK:-/var/tmp/imagefs-mount-bench}
PORT=${PORT:-19292}
NGINX_PORT=${NGINX_PORT:-18081}
FIO_RT=${FIO_RT:-5}
SEQ_TMO=${SEQ_TMO:-150}
PEERS=${PEERS:-1}
NLS=${NLS:-10000}
IMAGEFS_OPTS=${IMAGEFS_OPTS:-}
DATA=$WORK/data MNT=$WORK/mnt CACHE=$WORK/cache RUN=$WORK/run LOGS=$WORK/logs
BIN=$WORK/bin TMPFS=$WORK/tmpfs IDATA=$WORK/imaged
BIG=big.bin IMG=img.qcow2 BIG_BYTES=$((2 << 30))
URL=http://127.0.0.1:$PORT
NGINX_URL=http://127.0.0.1:$NGINX_PORT/
T_START=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
ns() { date +%s%N; }
[[ $(id -u) == 0 ]] || die "run as root (mounts, drop_caches, the mounts' read_ahead_kb)"
[[ -c /dev/fuse ]] || die "no /dev/fuse"

# ------------------------------------------------------------------ tools and binaries
PKGS=(fuse3 libfuse3-dev gcc pkg-config curl jq bc fio qemu-utils python3 nginx-light)
((PEERS)) && PKGS+=(httpdirfs rclone)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  [[ -e /usr/sbin/policy-rc.d ]] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; RM_POLICY=1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -n ${RM_POLICY:-} ]] && rm -f /usr/sbin/policy-rc.d
fi
if [[ -z ${IMAGED:-} || -z ${IMAGEFS:-} ]]; then
  B=$ROOT/build/release
  if [[ ! -x $B/service/api/imaged || ! -x $B/fs/imagefs ]]; then
    log "building imaged and imagefs (release preset)"
    (cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release --target imaged imagefs >/dev/null) || die "build failed"
  fi
  IMAGED=${IMAGED:-$B/service/api/imaged}
  IMAGEFS=${IMAGEFS:-$B/fs/imagefs}
fi
mkdir -p "$DATA" "$MNT" "$CACHE" "$RUN" "$LOGS" "$BIN" "$TMPFS" "$IDATA"
gcc -O2 -Wall "$HERE/mount/ptfs.c" -o "$BIN/ptfs" $(pkg-config fuse3 --cflags --libs) || die "ptfs build"

# ------------------------------------------------------------------ processes (by PID)
pid_alive() { [[ -s $RUN/$1.pid ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
stop_pid() {  # NAME [SIGNAL]: stop the process in RUN/NAME.pid, wait, then KILL
  local pid
  [[ -s $RUN/$1.pid ]] || return 0
  pid=$(cat "$RUN/$1.pid")
  kill -"${2:-TERM}" "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  rm -f "$RUN/$1.pid"
}
is_mounted() { awk -v m="$1" '$2 == m {f = 1} END {exit !f}' /proc/mounts; }
umount_fs() {  # NAME: unmount MNT/NAME, wait for its daemon, stop it if it lingers
  local m=$MNT/$1 pid=
  [[ -s $RUN/$1.pid ]] && pid=$(cat "$RUN/$1.pid")
  is_mounted "$m" && { fusermount3 -u "$m" 2>/dev/null || umount "$m" 2>/dev/null || umount -l "$m"; }
  if [[ -n $pid ]]; then
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    stop_pid "$1"
  fi
}
# mount_fs NAME KIND: KIND imagefs | ptfs | ptfs-keep | httpdirfs | rclone.
# Waits until the expected file shows (for imagefs: the listing is in).
mount_fs() {
  local name=$1 kind=$2 m=$MNT/$1 c=$CACHE/$1 lg=$LOGS/$1.log want
  umount_fs "$name"
  mkdir -p "$m" "$c"
  case $kind in
    imagefs)
      setsid "$IMAGEFS" "$URL" "$m" -f -o "cache_dir=$c,cache_size=8G${IMAGEFS_OPTS:+,$IMAGEFS_OPTS}" \
        </dev/null >>"$lg" 2>&1 &
      want=$m/images/bench-big ;;
    ptfs)
      setsid "$BIN/ptfs" "$m" -f -o "source=$DATA" </dev/null >>"$lg" 2>&1 &
      want=$m/$BIG ;;
    ptfs-keep)  # ptfs with keep_cache: what the kernel's FUSE page cache allows
      setsid "$BIN/ptfs" "$m" -f -o "source=$DATA,keep_cache" </dev/null >>"$lg" 2>&1 &
      want=$m/$BIG ;;
    httpdirfs)
      setsid httpdirfs -f --no-range-check --cache --cache-location "$c" "$NGINX_URL" "$m" \
        </dev/null >>"$lg" 2>&1 &
      want=$m/$BIG ;;
    rclone)
      setsid rclone mount ":http:" "$m" --http-url "$NGINX_URL" --config "$WORK/rclone.conf" \
        --read-only --vfs-cache-mode full --cache-dir "$c" --log-file "$lg" --log-level NOTICE \
        </dev/null >>"$lg" 2>&1 &
      want=$m/$BIG ;;
    *) die "unknown mount kind $kind" ;;
  esac
  echo $! >"$RUN/$name.pid"
  for _ in $(seq 600); do
    is_mounted "$m" && [[ -e $want ]] && return 0
    pid_alive "$name" || break
    sleep 0.05
  done
  log "mount $name ($kind) failed; log:"; tail -5 "$lg" >&2
  umount_fs "$name"
  return 1
}
wipe_cache() { rm -rf "${CACHE:?}/$1"; }
set_ra() { echo "$2" >"/sys/class/bdi/$(mountpoint -d "$MNT/$1")/read_ahead_kb"; }

nginx_start() {
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $RUN/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 512; }
http {
  log_format rng '\$msec \$request_method \$uri "\$http_range" \$status \$body_bytes_sent';
  access_log $LOGS/nginx-access.log rng;
  sendfile on; tcp_nopush on; keepalive_timeout 120s; keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$NGINX_PORT; root $DATA; autoindex on; autoindex_exact_size on; location / { } }
}
EOF
  nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx/" || die "nginx did not start"
  for _ in $(seq 50); do curl -sf -o /dev/null "$NGINX_URL" && return 0; sleep 0.1; done
  die "nginx does not answer on $NGINX_URL"
}
nginx_stop() { [[ -s $RUN/nginx.pid ]] && stop_pid nginx QUIT; }

imaged_start() {
  setsid "$IMAGED" --listen "127.0.0.1:$PORT" --data-dir "$IDATA" --fsync false \
    </dev/null 2>>"$LOGS/imaged.log" >/dev/null &
  echo $! >"$RUN/imaged.pid"
  for _ in $(seq 200); do curl -sf -o /dev/null "$URL/versions" && return 0; sleep 0.1; done
  die "imaged did not start (see $LOGS/imaged.log)"
}

cleanup() {
  local f n
  for f in "$RUN"/*.pid; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .pid)
    [[ $n == nginx || $n == imaged ]] || umount_fs "$n"
  done
  for n in $(awk -v p="$MNT/" 'index($2, p) == 1 {print substr($2, length(p) + 1)}' /proc/mounts); do
    umount_fs "$n"
  done
  stop_pid imaged
  nginx_stop
  mountpoint -q "$TMPFS" && umount "$TMPFS"
  log "cleaned up (wall time $(( $(date +%s) - T_START )) s)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup 2>/dev/null   # leftovers of an interrupted run

# ------------------------------------------------------------------ measurements
declare -A R   # results: R[key] = value
rec() { R[$1]=$2; log "  $1 = $2"; }

# sread FILE: MB/s (10^6 B/s) of dd bs=1M, capped at SEQ_TMO ("~" marks a partial read)
sread() {
  local out b s v
  out=$(timeout -s INT "$SEQ_TMO" dd if="$1" of=/dev/null bs=1M 2>&1 | awk '/copied/ {print $1, $(NF-3)}')
  read -r b s <<<"$out"
  [[ -z $b || $b == 0 ]] && { echo ERR; return; }
  v=$(echo "scale=0; $b / $s / 1000000" | bc)
  [[ $b -lt $(stat -L -c %s "$1") ]] && v="~$v"
  echo "$v"
}
# frand FILE DIRECT: IOPS of fio 4 KiB random reads, psync, QD1, FIO_RT seconds
frand() {
  local v
  v=$(timeout $((FIO_RT + 60)) fio --name=rr --filename="$1" --rw=randread --bs=4k --ioengine=psync \
      --direct="$2" --numjobs=1 --time_based --runtime="$FIO_RT" --invalidate=0 --readonly \
      --output-format=json 2>>"$LOGS/fio.err" |
    jq -r 'if .jobs[0].error != 0 or .jobs[0].read.io_bytes == 0 then "ERR" else (.jobs[0].read.iops | floor) end' 2>/dev/null)
  [[ $v =~ ^[0-9]+$ ]] || v=ERR
  echo "$v"
}
# tsec TIMEOUT CMD...: wall seconds (T/O, ERR)
tsec() {
  local to=$1 t0 t1 rc; shift
  t0=$(ns); timeout "$to" "$@" >>"$LOGS/cmd.out" 2>&1; rc=$?; t1=$(ns)
  ((rc == 124)) && { echo "T/O"; return; }
  ((rc != 0)) && { echo "ERR"; return; }
  echo "scale=2; ($t1 - $t0) / 1000000000" | bc | sed 's/^\./0./'
}
qconvert() { rm -f "$TMPFS/out.raw"; tsec 120 qemu-img convert -f qcow2 -O raw "$1" "$TMPFS/out.raw"; rm -f "$TMPFS/out.raw"; }
# A cold convert comes after rows that filled a cache with the 2 GiB file; its dirty
# pages would otherwise be written back during the convert (dirty_expire ~30 s after
# the read), charging the previous row's disk writes to this one. Every filesystem's
# cold convert gets the same sync first.
qconvert_cold() { sync; qconvert "$1"; }
drop_caches() { sync; echo 1 >/proc/sys/vm/drop_caches; }
imaged_store_files() { find "$IDATA" -type f -size +100M; }
warm_sources() { cat "$DATA/$BIG" "$DATA/$IMG" >/dev/null; imaged_store_files | xargs -r cat >/dev/null; }
data_gets() { grep -c 'GET /v2/images/{image_id}/file ' "$LOGS/imaged.log" 2>/dev/null || echo 0; }
vm_hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$(cat "$RUN/$1.pid")/status" 2>/dev/null; }

# ------------------------------------------------------------------ corpus
if [[ ! -f $DATA/$BIG || $(stat -c %s "$DATA/$BIG") != "$BIG_BYTES" ]]; then
  log "making $DATA/$BIG (2 GiB random)"
  head -c "$BIG_BYTES" /dev/urandom >"$DATA/$BIG.tmp" && mv "$DATA/$BIG.tmp" "$DATA/$BIG"
fi
if [[ ! -f $DATA/$IMG ]] || ! qemu-img check -q "$DATA/$IMG" 2>/dev/null; then
  log "making $DATA/$IMG (qcow2: 4 GiB virtual, 768 MiB random + 256 MiB 0xab)"
  rm -f "$DATA/$IMG"
  qemu-img create -q -f qcow2 "$DATA/$IMG.tmp" 4G
  head -c 128M /dev/urandom >"$WORK/rnd128M.bin"
  cmds=()
  for off in 0 640M 1280M 1920M 2560M 3200M; do cmds+=(-c "write -q -s $WORK/rnd128M.bin $off 128M"); done
  cmds+=(-c "write -q -P 0xab 3712M 256M")
  qemu-io -f qcow2 "${cmds[@]}" "$DATA/$IMG.tmp" && mv "$DATA/$IMG.tmp" "$DATA/$IMG"
  rm -f "$WORK/rnd128M.bin"
fi
chmod -R a+rX "$DATA"
: >"$WORK/rclone.conf"
mountpoint -q "$TMPFS" || mount -t tmpfs -o size=6g,mode=0755 imagefs-bench-tmpfs "$TMPFS"
nginx_start
imaged_start

image_id() {  # NAME: id of the active image of that name, or nothing
  curl -sf "$URL/v2/images?name=$1&status=active" | jq -r '.images[0].id // empty'
}
upload() {  # NAME DISK_FORMAT FILE
  local id
  id=$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"name\": \"$1\", \"disk_format\": \"$2\", \"container_format\": \"bare\"}" "$URL/v2/images" | jq -r .id)
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T "$3" "$URL/v2/images/$id/file" || die "upload of $1"
}
# An image uploaded by an imaged from before per-block CRC-32Cs has none in its block
# map (the mount then checks it by SHA-256): upload it again.
current() {  # NAME: the image exists and its block map carries CRC-32Cs
  local id; id=$(image_id "$1")
  [[ -n $id ]] && curl -sf "$URL/v2/images/$id/blocks" | jq -e '.crc32c | length > 0' >/dev/null
}
replace() {  # NAME DISK_FORMAT FILE
  local id; id=$(image_id "$1")
  [[ -n $id ]] && curl -sf -X DELETE "$URL/v2/images/$id" >/dev/null
  log "uploading $3"; upload "$@"
}
current bench-big || replace bench-big raw "$DATA/$BIG"
current bench-qcow2 || replace bench-qcow2 qcow2 "$DATA/$IMG"
if [[ ! -f $IDATA/.bench-ls-$NLS ]]; then
  log "making $NLS small images for ls -l"
  python3 "$HERE/mount/fill_catalog.py" "$URL" "$NLS" 4 >&2 || die "fill_catalog.py"
  touch "$IDATA/.bench-ls-$NLS"
fi
BIG_ID=$(image_id bench-big)
[[ -n $BIG_ID ]] || die "no bench-big image"

{
  echo "date: $(date -Is)  kernel: $(uname -r)  cpu: $(nproc) x$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "imagefs: $IMAGEFS ($(stat -c %y "$IMAGEFS" | cut -d. -f1))  options: cache_size=8G${IMAGEFS_OPTS:+,$IMAGEFS_OPTS}"
  echo "libfuse3 $(pkg-config --modversion fuse3), $(fio --version), $(qemu-img --version | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)"
  ((PEERS)) && echo "httpdirfs: $(httpdirfs --version 2>&1 | head -1), rclone: $(rclone version 2>/dev/null | head -1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "FIO_RT=$FIO_RT s, single run per cell (noisy 2-core machine: differences under ~20 % are noise)"
} >"$LOGS/env.txt"
cat "$LOGS/env.txt" >&2

# ------------------------------------------------------------------ baselines
# The baselines run twice, before and after imagefs (BASE=a, b), and each figure is
# compared with the mean of the two: on a shared, noisy machine that brackets the
# imagefs measurement in time.
baselines() {
  local x=$1
  log "=== baselines ($x): local file, curl, ptfs (load $(cut -d' ' -f1-3 /proc/loadavg))"
  warm_sources
  sread "$DATA/$BIG" >/dev/null
  rec "local_seq_$x" "$(sread "$DATA/$BIG")"                    # page cache
  rec "local_rand_buf_$x" "$(frand "$DATA/$BIG" 0)"
  rec "local_qconv_$x" "$(qconvert "$DATA/$IMG")"
  curl -s -o /dev/null "$URL/v2/images/$BIG_ID/file"             # warms imaged's side
  read -r b s < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "$URL/v2/images/$BIG_ID/file")
  rec "curl_imaged_$x" "$(echo "scale=0; $b / $s / 1000000" | bc)"
  read -r b s < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "$NGINX_URL$BIG")
  rec "curl_nginx_$x" "$(echo "scale=0; $b / $s / 1000000" | bc)"
  mount_fs ptfs ptfs || die "ptfs mount"
  set_ra ptfs 1024
  rec "pt_seq_$x" "$(sread "$MNT/ptfs/$BIG")"
  rec "pt_rand_direct_$x" "$(frand "$MNT/ptfs/$BIG" 1)"
  rec "pt_qconv_$x" "$(qconvert "$MNT/ptfs/$IMG")"
  umount_fs ptfs
  drop_caches
  mount_fs ptfs ptfs && set_ra ptfs 1024 && rec "pt_seq_disk_$x" "$(sread "$MNT/ptfs/$BIG")"
  umount_fs ptfs
  # The ceiling of the page-cache rows for any FUSE filesystem on this kernel: ptfs
  # with keep_cache, read once to fill the mount's page cache, then as imagefs is.
  warm_sources
  mount_fs ptfs ptfs-keep || die "ptfs-keep mount"
  set_ra ptfs 1024
  sread "$MNT/ptfs/$BIG" >/dev/null
  rec "ptk_seq2_$x" "$(sread "$MNT/ptfs/$BIG")"
  rec "ptk_rand_buf_$x" "$(frand "$MNT/ptfs/$BIG" 0)"
  umount_fs ptfs
}
mean2() {  # KEY: R[KEY] = the mean of R[KEY_a] and R[KEY_b] (either alone if one failed)
  local a=${R[${1}_a]:-} b=${R[${1}_b]:-}
  [[ $a =~ ^[0-9.]+$ ]] || a=""
  [[ $b =~ ^[0-9.]+$ ]] || b=""
  if [[ -n $a && -n $b ]]; then R[$1]=$(echo "scale=2; ($a + $b) / 2" | bc | sed 's/^\./0./')
  else R[$1]=${a:-$b}; fi
}
baselines a

# ------------------------------------------------------------------ imagefs
log "=== imagefs (load $(cut -d' ' -f1-3 /proc/loadavg))"
: >"$LOGS/imagefs.log"  # this run's mounts only (passthrough counts below)
wipe_cache imagefs
drop_caches; warm_sources
t0=$(ns); mount_fs imagefs imagefs || die "imagefs mount (log: $LOGS/imagefs.log)"; t1=$(ns)
rec fs_mount_s "$(echo "scale=2; ($t1 - $t0) / 1000000000" | bc | sed 's/^\./0./')"
M=$MNT/imagefs
t0=$(ns); n=$(ls -l "$M/images" | wc -l); t1=$(ns)
rec fs_ls_cold "$(echo "scale=3; ($t1 - $t0) / 1000000000" | bc | sed 's/^\./0./')"
rec fs_ls_entries "$n"
a=()
for i in 1 2 3; do t0=$(ns); ls -l "$M/images" >/dev/null; t1=$(ns); a+=("$((t1 - t0))"); done
rec fs_ls_warm "$(printf '%s\n' "${a[@]}" | sort -n | sed -n 2p | awk '{printf "%.3f", $1 / 1e9}')"
g0=$(data_gets)
rec fs_seq_cold "$(sread "$M/images/bench-big")"
g1=$(data_gets)
rec fs_cold_gets "$((g1 - g0))"
rec fs_seq2 "$(sread "$M/images/bench-big")"
rec fs_rand_direct "$(frand "$M/images/bench-big" 1)"
rec fs_rand_buf "$(frand "$M/images/bench-big" 0)"
rec fs_qconv_cold "$(qconvert_cold "$M/images/bench-qcow2")"
rec fs_hwm_mib "$(( $(vm_hwm_kb imagefs) / 1024 ))"
umount_fs imagefs
g0=$(data_gets)
mount_fs imagefs imagefs || die "imagefs remount"
rec fs_seq_remount "$(sread "$M/images/bench-big")"
rec fs_qconv_warm "$(qconvert "$M/images/bench-qcow2")"
rec fs_remount_gets "$(( $(data_gets) - g0 ))"
umount_fs imagefs
drop_caches; warm_sources
mount_fs imagefs imagefs && rec fs_seq_remount_disk "$(sread "$M/images/bench-big")"
umount_fs imagefs
# The warm rows again with -o nopassthrough (every read through this process, as
# before passthrough, and as on a kernel before 6.9): what passthrough buys.
IMAGEFS_OPTS="${IMAGEFS_OPTS:+$IMAGEFS_OPTS,}nopassthrough" mount_fs imagefs imagefs && {
  rec fs_seq_remount_nopt "$(sread "$M/images/bench-big")"
  rec fs_seq2_nopt "$(sread "$M/images/bench-big")"
  rec fs_rand_buf_nopt "$(frand "$M/images/bench-big" 0)"
  rec fs_qconv_warm_nopt "$(qconvert "$M/images/bench-qcow2")"
}
umount_fs imagefs
rec fs_pt_opens "$(grep -o 'passthrough opens [0-9]*' "$LOGS/imagefs.log" | awk '{printf "%s%s", sep, $3; sep=" "}')"
# The two cold rows again with every fetched block checked by SHA-256 instead of the
# recorded CRC-32C (-o verify=sha256): what the default's cheaper check buys.
wipe_cache imagefs
IMAGEFS_OPTS="${IMAGEFS_OPTS:+$IMAGEFS_OPTS,}verify=sha256" mount_fs imagefs imagefs && {
  rec fs_seq_cold_sha "$(sread "$M/images/bench-big")"
  rec fs_qconv_cold_sha "$(qconvert_cold "$M/images/bench-qcow2")"
}
umount_fs imagefs

baselines b
for k in local_seq local_rand_buf local_qconv curl_imaged curl_nginx pt_seq pt_rand_direct pt_qconv pt_seq_disk ptk_seq2 ptk_rand_buf; do
  mean2 "$k"
done

# ------------------------------------------------------------------ peers
peer() {  # NAME: the same rows through httpdirfs or rclone
  local p=$1 m=$MNT/$1
  log "=== $p (load $(cut -d' ' -f1-3 /proc/loadavg))"
  wipe_cache "$p"; drop_caches; warm_sources
  mount_fs "$p" "$p" || { rec "${p}_seq_cold" MOUNTFAIL; return; }
  rec "${p}_seq_cold" "$(sread "$m/$BIG")"
  rec "${p}_seq2" "$(sread "$m/$BIG")"
  rec "${p}_rand_direct" "$(frand "$m/$BIG" 1)"
  rec "${p}_rand_buf" "$(frand "$m/$BIG" 0)"
  rec "${p}_qconv_cold" "$(qconvert_cold "$m/$IMG")"
  umount_fs "$p"
  mount_fs "$p" "$p" || return
  rec "${p}_seq_remount" "$(sread "$m/$BIG")"
  rec "${p}_qconv_warm" "$(qconvert "$m/$IMG")"
  umount_fs "$p"
  wipe_cache "$p"
}
if ((PEERS)); then
  peer httpdirfs
  peer rclone
fi

# ------------------------------------------------------------------ table
v() { echo "${R[$1]:-}"; }
num() { [[ $1 =~ ^~?[0-9.]+$ ]] && echo "${1#\~}"; }
# row FIGURE UNIT IMAGEFS_KEY BASELINE_LABEL BASELINE_KEY KIND GOAL PEER_SUFFIX
#   KIND hi: ratio = imagefs / baseline, goal ">= GOAL"; lo: ratio = imagefs / baseline,
#   goal "<= GOAL"; abs: no ratio, imagefs < GOAL.
row() {
  local fig=$1 unit=$2 fk=$3 blab=$4 bk=$5 kind=$6 goal=$7 ps=$8
  local f b ratio="" met="" hd="" rc="" beat=""
  f=$(v "$fk"); b=$([[ -n $bk ]] && v "$bk")
  local fn bn; fn=$(num "$f"); bn=$(num "$b")
  case $kind in
    hi|lo)
      if [[ -n $fn && -n $bn && $bn != 0 ]]; then
        ratio=$(echo "scale=2; $fn / $bn" | bc | sed 's/^\./0./')
        if [[ $kind == hi ]]; then met=$( (( $(echo "$ratio >= $goal" | bc) )) && echo yes || echo NO)
        else met=$( (( $(echo "$ratio <= $goal" | bc) )) && echo yes || echo NO); fi
      fi
      goal="$([[ $kind == hi ]] && echo ">=" || echo "<=") $goal" ;;
    abs)
      [[ -n $fn ]] && met=$( (( $(echo "$fn < $goal" | bc) )) && echo yes || echo NO)
      goal="< $goal $unit" ;;
  esac
  if [[ -n $ps ]]; then
    hd=$(v "httpdirfs_$ps"); rc=$(v "rclone_$ps")
    local hn rn better=yes; hn=$(num "$hd"); rn=$(num "$rc")
    for pn in "$hn" "$rn"; do
      [[ -z $pn || -z $fn ]] && continue
      if [[ $unit == s ]]; then (( $(echo "$fn < $pn" | bc) )) || better=NO
      else (( $(echo "$fn > $pn" | bc) )) || better=NO; fi
    done
    [[ -n $fn && ( -n $hn || -n $rn ) ]] && beat=$better
  fi
  printf '| %s | %s | %s %s | %s | %s | %s | %s | %s | %s |\n' "$fig ($unit)" "$f" "$blab" "$b" \
    "$ratio" "$goal" "$met" "$hd" "$rc" "$beat"
}
{
  echo
  echo "## imagefs mount benchmark ($(date -Is))"
  echo
  sed 's/^/    /' "$LOGS/env.txt"
  echo "    load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| figure | imagefs | baseline | ratio | goal | met | httpdirfs | rclone | beats peers |"
  echo "|---|---|---|---|---|---|---|---|---|"
  row "cold sequential read, 2 GiB" MB/s fs_seq_cold "curl from imaged" curl_imaged hi 0.9 seq_cold
  row "warm read after remount" MB/s fs_seq_remount "ptfs, source in page cache" pt_seq hi 1.0 seq_remount
  row "warm read after remount + drop_caches" MB/s fs_seq_remount_disk "ptfs after drop_caches" pt_seq_disk hi 1.0 ""
  row "second read, same mount" MB/s fs_seq2 "local file in page cache" local_seq hi 0.9 seq2
  row "fio 4k randread QD1 O_DIRECT, warm" IOPS fs_rand_direct "ptfs O_DIRECT" pt_rand_direct hi 0.8 rand_direct
  row "fio 4k randread QD1 buffered, warm" IOPS fs_rand_buf "local file" local_rand_buf hi 0.9 rand_buf
  row "qemu-img convert -O raw, cold" s fs_qconv_cold "local file" local_qconv lo 2.0 qconv_cold
  row "qemu-img convert -O raw, warm (remount)" s fs_qconv_warm "local file" local_qconv lo 1.3 qconv_warm
  row "ls -l of $(( $(v fs_ls_entries) - 1 )) images, cold (first after mount)" s fs_ls_cold "" "" abs 2 ""
  row "ls -l of $(( $(v fs_ls_entries) - 1 )) images, warm (median of 3)" s fs_ls_warm "" "" abs 0.5 ""
  echo
  echo "Baselines are the mean of a run before and one after imagefs's: $(for k in local_seq curl_imaged pt_seq pt_rand_direct local_rand_buf local_qconv; do printf '%s %s/%s; ' "$k" "$(v ${k}_a)" "$(v ${k}_b)"; done)"
  ratio_of() { local a b; a=$(num "$(v "$1")"); b=$(num "$(v "$2")"); [[ -n $a && -n $b && $b != 0 ]] && echo "scale=2; $a / $b" | bc | sed 's/^\./0./'; }
  echo "The FUSE page-cache ceiling (ptfs with keep_cache, file read once first): second read"
  echo "$(v ptk_seq2) MB/s = $(ratio_of ptk_seq2 local_seq) of the local file (imagefs: $(ratio_of fs_seq2 ptk_seq2) of it);"
  echo "buffered 4k randread $(v ptk_rand_buf) IOPS = $(ratio_of ptk_rand_buf local_rand_buf) of the local file (imagefs: $(ratio_of fs_rand_buf ptk_rand_buf) of it)."
  echo "The FUSE bound on the cold rows (ptfs: a page-cached local file, no network, no cache,"
  echo "no check): sequential $(v pt_seq) MB/s = $(ratio_of pt_seq curl_imaged) of curl from imaged (imagefs cold: $(ratio_of fs_seq_cold pt_seq) of it);"
  echo "qemu-img convert $(v pt_qconv) s = $(ratio_of pt_qconv local_qconv) of the local file (imagefs cold: $(ratio_of fs_qconv_cold pt_qconv) of it)."
  echo "Other figures: curl of big.bin from nginx $(v curl_nginx) MB/s;"
  echo "ptfs qemu-img convert $(v pt_qconv) s; imagefs mount $(v fs_mount_s) s; image-data GETs to imaged in"
  gets=$(v fs_cold_gets); [[ $gets =~ ^[1-9][0-9]*$ ]] || gets=1
  echo "the cold read $(v fs_cold_gets) (avg $(( BIG_BYTES / gets >> 10 )) KiB), in the warm remount (read + convert) $(v fs_remount_gets);"
  echo "imagefs peak RSS (VmHWM) during the first mount $(v fs_hwm_mib) MiB."
  echo "Passthrough opens (the kernel read the cache file itself) per imagefs mount, in order: $(v fs_pt_opens)."
  echo "With -o nopassthrough (every read through imagefs): warm remount $(v fs_seq_remount_nopt) MB/s ($(ratio_of fs_seq_remount_nopt pt_seq) of ptfs),"
  echo "second read $(v fs_seq2_nopt) MB/s ($(ratio_of fs_seq2_nopt local_seq) of the local file), buffered 4k $(v fs_rand_buf_nopt) IOPS ($(ratio_of fs_rand_buf_nopt local_rand_buf)), warm convert $(v fs_qconv_warm_nopt) s ($(ratio_of fs_qconv_warm_nopt local_qconv))."
  echo "With -o verify=sha256 (SHA-256 of every fetched block instead of the recorded CRC-32C):"
  echo "cold read $(v fs_seq_cold_sha) MB/s ($(ratio_of fs_seq_cold_sha curl_imaged) of curl), cold convert $(v fs_qconv_cold_sha) s."
  echo "Peers: httpdirfs 1.2.5 as packaged (--cache --no-range-check; sleeps 100 ms per HTTP request),"
  echo "rclone mount --vfs-cache-mode full; both over nginx. \"~\" marks a read capped at ${SEQ_TMO} s."
} | tee "$LOGS/table.md"

exit 0
} # end of the group: the exit above keeps bash from reading on in a file edited meanwhile
