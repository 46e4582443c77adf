#!/bin/bash
# services.sh start|stop|status [keystone|http|all]
# The harness's own Keystone (uwsgi, one process, one thread: sqlite allows one
# writer) and the static file server behind [image] http_image, each with a PID file
# in $TT_RUN_DIR. Only processes started here are stopped, by their PID files.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
mkdir -p "$TT_RUN_DIR"
action="${1:?usage: $0 start|stop|status [keystone|http|all]}"
what="${2:-all}"

port_busy() { ss -ltnH "( sport = :$1 )" | grep -q .; }

start_keystone() {
  local pf="$TT_RUN_DIR/keystone.pid"
  tt_pid_alive "$pf" && return 0
  port_busy "$TT_KEYSTONE_PORT" && { echo "port $TT_KEYSTONE_PORT is taken" >&2; return 1; }
  # "Connection: close": uwsgi's http-socket closes after each answer without saying so.
  /usr/bin/uwsgi-core --plugin python3 --http-socket "127.0.0.1:$TT_KEYSTONE_PORT" \
    --wsgi-file /usr/bin/keystone-wsgi-public --env "OS_KEYSTONE_CONFIG_DIR=$TT_KS_DIR" \
    --chdir "$TT_KS_DIR" --master --processes 1 --threads 1 --enable-threads --lazy-apps \
    --add-header "Connection: close" --buffer-size 65535 --die-on-term --no-orphans \
    --pidfile "$pf" --daemonize "$TT_KS_DIR/uwsgi.log"
  if ! tt_wait_http "$TT_KS_URL/v3" 90; then
    tail -20 "$TT_KS_DIR/uwsgi.log" >&2
    echo "keystone did not come up" >&2
    return 1
  fi
  tt_log "keystone at $TT_KS_URL (pid $(cat "$pf"))"
}

start_http() {
  local pf="$TT_RUN_DIR/http.pid"
  tt_pid_alive "$pf" && return 0
  port_busy "$TT_HTTP_PORT" && { echo "port $TT_HTTP_PORT is taken" >&2; return 1; }
  setsid /usr/bin/python3 -m http.server "$TT_HTTP_PORT" --bind 127.0.0.1 \
    --directory "$TT_WWW_DIR" >"$TT_RUN_DIR/http.log" 2>&1 </dev/null &
  echo $! >"$pf"
  tt_wait_http "$TT_HTTP_IMAGE_URL" 30 || { echo "http server did not come up" >&2; return 1; }
  tt_log "http_image at $TT_HTTP_IMAGE_URL (pid $(cat "$pf"))"
}

stop_one() {  # $1 = name
  local pf="$TT_RUN_DIR/$1.pid" pid
  tt_pid_alive "$pf" || { rm -f "$pf"; return 0; }
  pid=$(cat "$pf")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pf"
  tt_log "$1 stopped (pid $pid)"
}

case "$action:$what" in
  start:keystone) start_keystone ;;
  start:http) start_http ;;
  start:all) start_keystone; start_http ;;
  stop:keystone|stop:http) stop_one "$what" ;;
  stop:all) stop_one http; stop_one keystone ;;
  status:*) for n in keystone http; do
              if tt_pid_alive "$TT_RUN_DIR/$n.pid"; then echo "$n running"; else echo "$n stopped"; fi
            done ;;
  *) echo "usage: $0 start|stop|status [keystone|http|all]" >&2; exit 2 ;;
esac
