#!/usr/bin/env bash
# bench/e2e/api_bench.sh -- issue 2's speed benchmark: imaged beside its
# baselines, on this machine, in one run (everything on 127.0.0.1).
#
#   1. metadata: GET /v2/images?limit=25 and GET /v2/images/{id} req/s (wrk),
#      imaged vs Debian's glance-api, both holding the same 10,000 images
#      (imaged filled through its API, Glance's sqlite filled directly);
#   2. scale: imaged at 100,000 images vs imaged at 10,000 (both running,
#      runs alternated);
#   3. data: 1 GiB download with curl, imaged vs nginx (sendfile) serving the
#      same bytes; 1 GiB upload with curl -T, imaged vs Glance, and vs the
#      time of `md5sum F & sha512sum F & wait`.
#
# Prints every run, the load averages, and a final table
#   metric | imaged | baseline | ratio | goal | met?
# Starts what it needs (imaged, glance-api via the reference start-glance.sh,
# nginx with a private config) and stops every process it started, by PID, on
# any exit (error, Ctrl-C); removes its temporary directory.
#
# Environment knobs:
#   DUR=8           seconds per wrk run
#   REPS=3          wrk runs per cell (alternated between servers; median kept)
#   CONNS="1 8 32"  wrk connection counts (-t1 for 1 connection, else -t2)
#   RUNS=3          1 GiB upload/download runs per side (median kept)
#   N1=10000 N2=100000   catalog sizes
#   SIZE_MB=1024    size of the data file
#   WORK=DIR        parent for the temporary directory (default /tmp)
#   SKIP_GLANCE=1   skip everything Glance (no baseline for the metadata rates
#                   nor for the upload ratio vs Glance)
#   IMAGED=PATH     imaged binary to use (default: build build/bench with
#                   RelWithDebInfo, target imaged)
#   GLANCE_PORT=9397  first port tried for glance-api (next free one is used)
#   GLANCE_REF=DIR  the reference Glance harness (start-glance.sh, stop-glance.sh)
#   PROFILE=1       also `perf record` imaged during one extra list and show
#                   run at -c8 and print the hottest symbols
set -euo pipefail
{ # the whole script is one group, parsed before it runs (an edit during a run cannot derail it)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DUR="${DUR:-8}"
REPS="${REPS:-3}"
CONNS="${CONNS:-1 8 32}"
RUNS="${RUNS:-3}"
N1="${N1:-10000}"
N2="${N2:-100000}"
SIZE_MB="${SIZE_MB:-1024}"
SKIP_GLANCE="${SKIP_GLANCE:-0}"
PROFILE="${PROFILE:-0}"
PY=/usr/bin/python3
API="$HERE/api"
if [[ -z "${GLANCE_REF:-}" ]]; then
  for d in "$ROOT/../shared/reference/glance" /work/shared/reference/glance; do
    [[ -x "$d/start-glance.sh" ]] && { GLANCE_REF="$(cd "$d" && pwd)"; break; }
  done
fi
GLANCE_REF="${GLANCE_REF:-}"
T_START=$(date +%s)

say() { printf '%s\n' "$*" >&2; }
die() { say "api_bench: $*"; exit 1; }
load() { uptime | sed 's/.*load average/load average/'; }
mark() { say ""; say "== [$(date -u +%T) +$(( $(date +%s) - T_START ))s, $(load)] $*"; }

# ------------------------------------------------------------------ cleanup
B=""                       # our temporary directory
declare -A PIDS=()         # name -> pid of every long-running process we started
GLANCE_STARTED=0

stop_pid() {  # name: TERM, wait up to 10 s, then KILL
  local name="$1" pid="${PIDS[$1]:-}"
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$name]"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  for name in "${!PIDS[@]}"; do stop_pid "$name"; done
  if [[ "$GLANCE_STARTED" == 1 ]]; then
    "$GLANCE_REF/stop-glance.sh" "$B/glance" >/dev/null 2>&1
  fi
  [[ -n "$B" && -d "$B" ]] && rm -rf "$B"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# ------------------------------------------------------------------ packages
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
command -v bc >/dev/null || need+=(bc)
[[ -x $PY ]] || need+=(python3)
if ((${#need[@]})); then
  say "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # nginx's postinst would start the distro service on port 80; forbid that.
  made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -q >/dev/null
  apt-get install -y -q "${need[@]}" >/dev/null
  [[ "$made_policy" == 1 ]] && rm -f /usr/sbin/policy-rc.d
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if [[ "$SKIP_GLANCE" != 1 ]]; then
  [[ -n "$GLANCE_REF" && -x "$GLANCE_REF/start-glance.sh" ]] \
    || die "reference Glance harness not found (set GLANCE_REF=DIR with start-glance.sh) or use SKIP_GLANCE=1"
fi

# ------------------------------------------------------------------ imaged binary
if [[ -z "${IMAGED:-}" ]]; then
  mark "building imaged (build/bench, RelWithDebInfo)"
  cmake -S "$ROOT" -B "$ROOT/build/bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DIMAGEFS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/bench" --target imaged -j2 >/dev/null
  IMAGED="$ROOT/build/bench/service/api/imaged"
  say "build took $(( $(date +%s) - T_START )) s (not counted below)"
  T_START=$(date +%s)
fi
[[ -x "$IMAGED" ]] || die "no imaged binary at $IMAGED"

# ------------------------------------------------------------------ work dir
if [[ -n "${WORK:-}" ]]; then mkdir -p "$WORK"; B="$(mktemp -d "$WORK/api-bench.XXXXXX")"
else B="$(mktemp -d /tmp/api-bench.XXXXXX)"; fi
printf '{"tokens": {"tokP": {"project": "projP"}}}\n' > "$B/tokens.json"
IT='X-Auth-Token: tokP'     # imaged token -> project projP
GT='X-Auth-Token: projP'    # Glance fakeauth token -> project projP

say "api_bench: $(date -u +%FT%TZ), $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
say "imaged: $IMAGED; work dir $B; DUR=${DUR}s REPS=$REPS CONNS='$CONNS' RUNS=$RUNS N1=$N1 N2=$N2"

free_port() {  # first free TCP port on 127.0.0.1 at or above $1
  local p="$1"
  while ss -Htln "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

start_imaged() {  # name datadir fsync(true|false) -> PIDS[name], sets PORT_<name>
  local name="$1" dir="$2" fsync="$3" pid
  rm -f "$B/$name.port"
  "$IMAGED" --listen 127.0.0.1:0 --data-dir "$dir" --tokens "$B/tokens.json" \
    --port-file "$B/$name.port" --fsync "$fsync" </dev/null >>"$B/$name.log" 2>&1 &
  pid=$!
  PIDS[$name]=$pid
  for _ in $(seq 1 200); do
    [[ -s "$B/$name.port" ]] && break
    kill -0 "$pid" 2>/dev/null || { tail -5 "$B/$name.log" >&2; die "imaged $name exited"; }
    sleep 0.1
  done
  [[ -s "$B/$name.port" ]] || die "imaged $name did not write its port"
  printf -v "PORT_$name" '%s' "$(cat "$B/$name.port")"
  : > "$B/$name.log"   # keep only what the measured instance logs (one line per request)
}

json_field() { $PY -c 'import json,sys; d=json.load(sys.stdin); print(d.get(sys.argv[1]))' "$1"; }

# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 == 0 || a == "nan" || b == "nan") print "nan"; else printf "%.3f", a/b }'; }
# Median of the paired ratios A[k]/B[k] of two sample lists taken in the same rounds
# (each round runs both sides back to back, so a pair shares the machine's load of
# that moment; on a shared machine this is steadier than a ratio of two medians).
pdiv() {
  local -a a=($1) b=($2) r=()
  local k
  for k in "${!a[@]}"; do
    [[ -n "${b[$k]:-}" ]] && r+=("$(div "${a[$k]}" "${b[$k]}")")
  done
  ((${#r[@]})) && median "${r[@]}" || echo nan
}

declare -A R=()   # "<metric>|<side>" -> space-separated samples
declare -A SIDE_PIDS=()   # side -> server pids whose CPU time a wrk run is charged
CLK_TCK=$(getconf CLK_TCK)

cpu_ticks() {  # utime+stime of the given pids, in clock ticks
  local t=0 p v
  for p in "$@"; do
    v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); t=$((t + v))
  done
  echo "$t"
}
children_of() {  # direct children of $1
  local p
  for p in /proc/[0-9]*; do awk -v want="$1" '$4 == want {print $1}' "$p/stat" 2>/dev/null; done
}

# wrk one run: label side url conns token  (appends the req/s to R[label|side])
run_wrk() {
  local label="$1" side="$2" url="$3" c="$4" tok="$5" t=2 out rps bad
  [[ "$c" == 1 ]] && t=1
  local c0 c1 cpu_us
  c0=$(cpu_ticks ${SIDE_PIDS[$side]:-})
  out="$(wrk -t"$t" -c"$c" -d"${DUR}s" --timeout 10s --latency -H "$tok" "$url" 2>&1)" || true
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  bad="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")"
  local lat errs
  lat="$(awk '/^     50%/ {p50=$2} /^     99%/ {p99=$2} END {print "p50 " p50 ", p99 " p99}' <<<"$out")"
  errs="$(grep -o 'Socket errors:.*' <<<"$out" || true)"
  c1=$(cpu_ticks ${SIDE_PIDS[$side]:-})
  [[ -n "$rps" ]] || { say "$out"; rps=0; }
  # server CPU (user+sys) per request: less sensitive to the other tenants' load than req/s
  cpu_us=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v r="$rps" -v s="$DUR" \
    'BEGIN { n = r * s; if (n > 0) printf "%.0f", d / hz * 1e6 / n; else print "nan" }')
  printf '  %-22s %-13s -t%s -c%-3s %10.1f req/s  %7s us CPU/req  (%s%s%s)\n' "$label" "$side" "$t" "$c" "$rps" "$cpu_us" "$lat" \
    "${bad:+, NON-2xx $bad}" "${errs:+, $errs}" >&2
  R["cpu $label|$side"]+="$cpu_us "
  if [[ -n "$bad" && "$side" == imaged* ]]; then
    say "$out"; die "imaged answered non-2xx during $label"
  fi
  R["$label|$side"]+="$rps "
}

# =================================================================== setup
G_PORT=""
if [[ "$SKIP_GLANCE" != 1 ]]; then
  mark "starting glance-api (reference start-glance.sh, workers=2, fakeauth) and filling its sqlite with $N1 images"
  G_PORT="$(free_port "${GLANCE_PORT:-9397}")"
  GLANCE_STARTED=1
  GLANCE_PORT="$G_PORT" GLANCE_AUTH=fakeauth GLANCE_WORKERS=2 \
    "$GLANCE_REF/start-glance.sh" "$B/glance" >/dev/null 2>"$B/start-glance.err" \
    || { cat "$B/start-glance.err" >&2; die "start-glance.sh failed"; }
  GU="http://127.0.0.1:$G_PORT"
  gpid="$(cat "$B/glance/glance-api.pid")"
  sleep 2   # let the workers fork
  SIDE_PIDS[glance]="$gpid $(children_of "$gpid" | tr '\n' ' ')"
  say "glance-api on $GU: pids (parent, workers) ${SIDE_PIDS[glance]}"
  db="$(sed -n 's|^connection = sqlite:///||p' "$B/glance/glance-api.conf")"
  [[ -f "$db" ]] || die "Glance database not found ($db)"
  $PY "$API/fill_glance_db.py" "$db" "$N1" projP >&2
  # Glance pages 1000 images at a time in ~5 s; verify in the background while imaged fills.
  $PY "$API/count_images.py" "$GU" projP 1000 > "$B/glance.count" 2>&1 &
  PIDS[glance_count]=$!
fi

mark "imaged A: filling $N1 images through the API (--fsync false), then restarting it with fsync on"
start_imaged A "$B/imaged-A" false
$PY "$API/fill_imaged.py" "http://127.0.0.1:$PORT_A" tokP "$N1" 4 >&2
stop_pid A
start_imaged A "$B/imaged-A" true
IU="http://127.0.0.1:$PORT_A"
read -r n_a ID_A < <($PY "$API/count_images.py" "$IU" tokP 1000)
say "imaged A on $IU (pid ${PIDS[A]}): GET /v2/images?limit=1000 pages -> $n_a images; sample id $ID_A"
[[ "$n_a" == "$N1" ]] || die "imaged A holds $n_a images, expected $N1"
SIDE_PIDS[imaged]="${PIDS[A]}"; SIDE_PIDS[imaged@$N1]="${PIDS[A]}"

mark "imaged B: filling $N2 images through the API (--fsync false), then restarting it with fsync on"
start_imaged B "$B/imaged-B" false
$PY "$API/fill_imaged.py" "http://127.0.0.1:$PORT_B" tokP "$N2" 4 >&2
stop_pid B
start_imaged B "$B/imaged-B" true
IU2="http://127.0.0.1:$PORT_B"
read -r n_b ID_B < <($PY "$API/count_images.py" "$IU2" tokP 1000)
say "imaged B on $IU2 (pid ${PIDS[B]}): GET /v2/images?limit=1000 pages -> $n_b images; sample id $ID_B"
[[ "$n_b" == "$N2" ]] || die "imaged B holds $n_b images, expected $N2"
SIDE_PIDS[imaged@$N2]="${PIDS[B]}"

if [[ "$SKIP_GLANCE" != 1 ]]; then
  wait "${PIDS[glance_count]}" || { cat "$B/glance.count" >&2; die "counting Glance's images failed"; }
  unset 'PIDS[glance_count]'
  read -r n_g ID_G < "$B/glance.count"
  say "glance: GET /v2/images?limit=1000 pages -> $n_g images; sample id $ID_G"
  [[ "$n_g" == "$N1" ]] || die "Glance holds $n_g images, expected $N1"
  say "response bytes, list?limit=25: imaged $(curl -s -H "$IT" "$IU/v2/images?limit=25" | wc -c), glance $(curl -s -H "$GT" "$GU/v2/images?limit=25" | wc -c);" \
      "show: imaged $(curl -s -H "$IT" "$IU/v2/images/$ID_A" | wc -c), glance $(curl -s -H "$GT" "$GU/v2/images/$ID_G" | wc -c)"
fi

# =================================================================== 1. metadata, 10k: imaged vs Glance
mark "metadata at $N1 images: wrk ${DUR}s per run, $REPS runs per cell, imaged and Glance alternated"
for rep in $(seq 1 "$REPS"); do
  for c in $CONNS; do
    for ep in list show; do
      if [[ "$ep" == list ]]; then iu="$IU/v2/images?limit=25"; gu="${GU:-}/v2/images?limit=25"
      else iu="$IU/v2/images/$ID_A"; gu="${GU:-}/v2/images/${ID_G:-}"; fi
      if [[ "$SKIP_GLANCE" == 1 ]]; then
        run_wrk "$ep c$c" imaged "$iu" "$c" "$IT"
      elif (( rep % 2 )); then
        run_wrk "$ep c$c" imaged "$iu" "$c" "$IT"; run_wrk "$ep c$c" glance "$gu" "$c" "$GT"
      else
        run_wrk "$ep c$c" glance "$gu" "$c" "$GT"; run_wrk "$ep c$c" imaged "$iu" "$c" "$IT"
      fi
    done
  done
  say "  (after rep $rep: $(load))"
done
LOAD_META="$(load)"

if [[ "$PROFILE" == 1 ]] && command -v perf >/dev/null; then
  for ep in list show; do
    if [[ "$ep" == list ]]; then iu="$IU/v2/images?limit=25"; else iu="$IU/v2/images/$ID_A"; fi
    mark "profile: perf record imaged A during wrk -t2 -c8 $ep (not counted)"
    perf record -q -F 999 -g -p "${PIDS[A]}" -o "$B/perf-$ep.data" -- sleep "$DUR" >/dev/null 2>&1 &
    ppid=$!
    wrk -t2 -c8 -d"${DUR}s" -H "$IT" "$iu" | awk '/Requests\/sec/' >&2
    wait "$ppid" || true
    perf report -i "$B/perf-$ep.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
      | grep -v '^#' | grep -E '^ +[0-9.]+%' | head -25 >&2
  done
fi

# =================================================================== 2. metadata, 100k vs 10k (imaged only)
mark "metadata, imaged at $N2 vs $N1 images: alternated runs"
for rep in $(seq 1 "$REPS"); do
  for c in $CONNS; do
    for ep in list show; do
      if [[ "$ep" == list ]]; then a="$IU/v2/images?limit=25"; b="$IU2/v2/images?limit=25"
      else a="$IU/v2/images/$ID_A"; b="$IU2/v2/images/$ID_B"; fi
      if (( rep % 2 )); then
        run_wrk "$ep c$c" imaged@$N2 "$b" "$c" "$IT"; run_wrk "$ep c$c" imaged@$N1 "$a" "$c" "$IT"
      else
        run_wrk "$ep c$c" imaged@$N1 "$a" "$c" "$IT"; run_wrk "$ep c$c" imaged@$N2 "$b" "$c" "$IT"
      fi
    done
  done
  say "  (after rep $rep: $(load))"
done
LOAD_SCALE="$(load)"
stop_pid B
rm -rf "$B/imaged-B"

# =================================================================== 3. 1 GiB upload / download
BIG="$B/big.bin"
mark "data: writing a ${SIZE_MB} MiB random file"
head -c $((SIZE_MB * 1048576)) /dev/urandom > "$BIG"
SIZE=$(stat -c %s "$BIG")
MD5="$(md5sum "$BIG" | cut -d' ' -f1)"   # also warms the page cache

create_image() {  # base-url token name -> id
  curl -sf -X POST -H "$2" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$3\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}" "$1/v2/images" | json_field id
}
upload() {  # base-url token id -> "code seconds"
  curl -s --max-time 600 -o /dev/null -H 'Expect:' -X PUT -H "$2" -H 'Content-Type: application/octet-stream' \
    -T "$BIG" -w '%{http_code} %{time_total}' "$1/v2/images/$3/file"
}

mark "upload: curl -T (Content-Length) to imaged (fsync on) and Glance, and md5sum & sha512sum; $RUNS rounds alternated"
KEEP_ID=""
mbps() { awk -v s="$SIZE" -v t="$1" 'BEGIN { printf "%.1f", s/t/1e6 }'; }
cpu_s() { awk -v d="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d/hz }'; }
do_hash() {  # md5sum & sha512sum side by side (page cache warm)
  local t0 t1 dt m s
  t0=$(date +%s.%N)
  md5sum "$BIG" > "$B/md5.out" & m=$!
  sha512sum "$BIG" > "$B/sha512.out" & s=$!
  wait "$m" "$s"
  t1=$(date +%s.%N)
  dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b-a}')
  [[ "$(cut -d' ' -f1 "$B/md5.out")" == "$MD5" ]] || die "md5sum disagrees with itself"
  say "$(printf '  hash    #%d  md5sum & sha512sum: %6.3f s  %7s MB/s' "$1" "$dt" "$(mbps "$dt")")"
  R["hash|time"]+="$dt "
}
do_up_imaged() {
  local id code dt img st sz ck c0 c1
  id="$(create_image "$IU" "$IT" "big-$1")"
  c0=$(cpu_ticks "${PIDS[A]}")
  read -r code dt < <(upload "$IU" "$IT" "$id") || true
  c1=$(cpu_ticks "${PIDS[A]}")
  [[ "$code" == 204 ]] || die "imaged upload answered $code"
  img="$(curl -s -H "$IT" "$IU/v2/images/$id")"
  st="$(json_field status <<<"$img")"; sz="$(json_field size <<<"$img")"; ck="$(json_field checksum <<<"$img")"
  [[ "$st" == active && "$sz" == "$SIZE" && "$ck" == "$MD5" ]] || die "imaged image after upload: $st $sz $ck (md5 $MD5)"
  say "$(printf '  upload  #%d  imaged: %6.3f s  %7s MB/s  server CPU %s s  (active, size and md5 checked)' "$1" "$dt" "$(mbps "$dt")" "$(cpu_s $((c1 - c0)))")"
  R["upload|imaged"]+="$dt "
  if [[ -z "$KEEP_ID" ]]; then KEEP_ID="$id"
  else curl -s -o /dev/null -X DELETE -H "$IT" "$IU/v2/images/$id"; fi
}
do_up_glance() {
  [[ "$SKIP_GLANCE" != 1 ]] || return 0
  local gid code dt ck c0 c1
  gid="$(create_image "$GU" "$GT" "big-$1")"
  c0=$(cpu_ticks ${SIDE_PIDS[glance]})
  read -r code dt < <(upload "$GU" "$GT" "$gid") || true
  c1=$(cpu_ticks ${SIDE_PIDS[glance]})
  [[ "$code" == 204 ]] || die "Glance upload answered $code"
  ck="$(curl -s -H "$GT" "$GU/v2/images/$gid" | json_field checksum)"
  [[ "$ck" == "$MD5" ]] || die "Glance image checksum $ck, expected $MD5"
  say "$(printf '  upload  #%d  glance: %6.3f s  %7s MB/s  server CPU %s s  (md5 checked)' "$1" "$dt" "$(mbps "$dt")" "$(cpu_s $((c1 - c0)))")"
  R["upload|glance"]+="$dt "
  curl -s -o /dev/null -X DELETE -H "$GT" "$GU/v2/images/$gid"
}
for i in $(seq 1 "$RUNS"); do
  if (( i % 2 )); then do_hash "$i"; do_up_imaged "$i"; do_up_glance "$i"
  else do_up_glance "$i"; do_up_imaged "$i"; do_hash "$i"; fi
done
LOAD_UP="$(load)"
if [[ "$SKIP_GLANCE" != 1 ]]; then
  "$GLANCE_REF/stop-glance.sh" "$B/glance" >/dev/null 2>&1; GLANCE_STARTED=0
fi

mark "download: curl -o /dev/null from imaged (sendfile) and nginx (sendfile on, keepalive); $RUNS rounds alternated"
mkdir -p "$B/www" "$B/nginx"
ln "$BIG" "$B/www/big.bin"
chmod 755 "$B" "$B/www"; chmod 644 "$BIG"   # nginx's worker runs as www-data
NP="$(free_port 18080)"
cat > "$B/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $B/nginx/nginx.pid;
error_log $B/nginx/error.log warn;
events { worker_connections 256; }
http {
  access_log $B/nginx/access.log;
  client_body_temp_path $B/nginx/tmp;
  proxy_temp_path $B/nginx/tmp;
  fastcgi_temp_path $B/nginx/tmp;
  uwsgi_temp_path $B/nginx/tmp;
  scgi_temp_path $B/nginx/tmp;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  server {
    listen 127.0.0.1:$NP;
    root $B/www;
  }
}
EOF
"$NGINX" -p "$B/nginx" -c "$B/nginx/nginx.conf" </dev/null >"$B/nginx/stdout" 2>&1 &
PIDS[nginx]=$!
for _ in $(seq 1 50); do
  curl -s -o /dev/null "http://127.0.0.1:$NP/" && break
  kill -0 "${PIDS[nginx]}" 2>/dev/null || { cat "$B/nginx/stdout" "$B/nginx/error.log" >&2; die "nginx exited"; }
  sleep 0.1
done
say "nginx pid ${PIDS[nginx]} on http://127.0.0.1:$NP (worker_processes 1, sendfile on)"
dl() {  # url [header] -> "code bytes/s size"
  curl -s --max-time 600 -o /dev/null ${2:+-H "$2"} -w '%{http_code} %{speed_download} %{size_download}' "$1"
}
# warm: read both once
dl "$IU/v2/images/$KEEP_ID/file" "$IT" >/dev/null; dl "http://127.0.0.1:$NP/big.bin" >/dev/null
for i in $(seq 1 "$RUNS"); do
  for side in imaged nginx; do
    if [[ "$side" == imaged ]]; then read -r code sp sz < <(dl "$IU/v2/images/$KEEP_ID/file" "$IT") || true
    else read -r code sp sz < <(dl "http://127.0.0.1:$NP/big.bin") || true; fi
    [[ "$code" == 200 && "$sz" == "$SIZE" ]] || die "$side download: HTTP $code, $sz bytes"
    say "$(printf '  down  #%d  %-7s %8.1f MB/s' "$i" "$side" "$(awk -v s="$sp" 'BEGIN{print s/1e6}')")"
    R["download|$side"]+="$(awk -v s="$sp" 'BEGIN{print s/1e6}') "
  done
done
LOAD_DOWN="$(load)"

# =================================================================== table
T_END=$(date +%s)
mb() { awk -v s="$SIZE" -v t="$1" 'BEGIN { if (t == "nan" || t+0 == 0) print "nan"; else printf "%.1f", s/t/1e6 }'; }
row() {  # metric imaged baseline ratio goal-op goal
  local met="n/a"
  if [[ "$4" != nan && -n "$4" ]]; then
    met=$(awk -v r="$4" -v g="$6" 'BEGIN { print (r >= g) ? "yes" : "NO" }')
  fi
  printf '| %-52s | %8s | %-24s | %7s | %s %-4s | %-4s |\n' "$1" "$2" "$3" "$4" "$5" "$6" "$met"
}
fmt() { awk -v v="$1" 'BEGIN { if (v == "nan") print "nan"; else if (v >= 100) printf "%.0f", v; else printf "%.1f", v }'; }

echo ""
echo "## api_bench results — $(date -u +%F), $(nproc) cores, kernel $(uname -r), total $((T_END - T_START)) s"
echo ""
echo "load averages (1/5/15 min): metadata phase end: ${LOAD_META#load average: }; 100k phase end: ${LOAD_SCALE#load average: };"
echo "uploads end: ${LOAD_UP#load average: }; downloads end: ${LOAD_DOWN#load average: }"
echo "wrk: ${DUR} s per run, median of $REPS alternated runs; -t1 for c1, -t2 otherwise; data: median of $RUNS."
echo "ratio: the median of the per-round ratios (both sides of a round run back to back)."
echo ""
printf '| %-52s | %8s | %-24s | %7s | %-7s | %-4s |\n' metric imaged baseline ratio goal "met?"
echo "|---|---:|---|---:|---|---|"
for ep in list show; do
  for c in $CONNS; do
    i=$(median ${R["$ep c$c|imaged"]})
    what="GET /v2/images?limit=25"; [[ "$ep" == show ]] && what="GET /v2/images/{id}"
    if [[ "$SKIP_GLANCE" == 1 ]]; then
      row "$what req/s, c$c, $N1 images" "$(fmt "$i")" "glance: skipped" nan ">=" 100
    else
      g=$(median ${R["$ep c$c|glance"]})
      row "$what req/s, c$c, $N1 images" "$(fmt "$i")" "glance $(fmt "$g")" "$(pdiv "${R["$ep c$c|imaged"]}" "${R["$ep c$c|glance"]}" | awk '{ if ($1 == "nan") print "nan"; else printf "%.0f", $1 }')" ">=" 100
    fi
  done
done
for ep in list show; do
  for c in $CONNS; do
    a=$(median ${R["$ep c$c|imaged@$N1"]}); b=$(median ${R["$ep c$c|imaged@$N2"]})
    what="GET /v2/images?limit=25"; [[ "$ep" == show ]] && what="GET /v2/images/{id}"
    row "$what req/s, c$c, $N2 vs $N1" "$(fmt "$b")" "imaged@$N1 $(fmt "$a")" "$(pdiv "${R["$ep c$c|imaged@$N2"]}" "${R["$ep c$c|imaged@$N1"]}" | awk '{printf "%.2f", $1}')" ">=" 0.67
  done
done
di=$(median ${R["download|imaged"]}); dn=$(median ${R["download|nginx"]})
row "download ${SIZE_MB} MiB, MB/s (curl)" "$(fmt "$di")" "nginx $(fmt "$dn")" "$(pdiv "${R["download|imaged"]}" "${R["download|nginx"]}" | awk '{printf "%.2f", $1}')" ">=" 0.9
ui=$(median ${R["upload|imaged"]})
if [[ "$SKIP_GLANCE" == 1 ]]; then
  row "upload ${SIZE_MB} MiB, MB/s (curl -T)" "$(mb "$ui")" "glance: skipped" nan ">=" 2
else
  ug=$(median ${R["upload|glance"]})
  row "upload ${SIZE_MB} MiB, MB/s (curl -T)" "$(mb "$ui")" "glance $(mb "$ug")" "$(pdiv "${R["upload|glance"]}" "${R["upload|imaged"]}" | awk '{printf "%.2f", $1}')" ">=" 2
fi
ht=$(median ${R["hash|time"]})
row "upload vs md5sum & sha512sum, MB/s" "$(mb "$ui")" "hashes $(mb "$ht") ($ht s)" "$(pdiv "${R["hash|time"]}" "${R["upload|imaged"]}" | awk '{printf "%.2f", $1}')" ">=" 0.8
echo ""
echo "upload times: imaged ${ui} s, hashes ${ht} s$([[ "$SKIP_GLANCE" == 1 ]] || echo ", glance ${ug} s") (medians)"
echo ""
echo "server CPU time (user+sys, all its processes) per request, microseconds, medians:"
echo ""
printf '| %-28s | %8s | %10s | %12s | %12s |\n' request imaged glance "imaged@$N1" "imaged@$N2"
echo "|---|---:|---:|---:|---:|"
for ep in list show; do
  for c in $CONNS; do
    printf '| %-28s | %8s | %10s | %12s | %12s |\n' "$ep c$c" \
      "$(median ${R["cpu $ep c$c|imaged"]})" "$(median ${R["cpu $ep c$c|glance"]:-nan})" \
      "$(median ${R["cpu $ep c$c|imaged@$N1"]})" "$(median ${R["cpu $ep c$c|imaged@$N2"]})"
  done
done
exit 0
}
