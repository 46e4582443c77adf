# Settings of the tempest harness of imaged (tests/tempest/). Sourced by its scripts.
# Everything listens on 127.0.0.1. Any value can be overridden from the environment.
# The passwords are loopback-only test secrets of a throw-away Keystone.

: "${TT_BASE:=/tmp/imagefs-tempest}"          # all state: keystone db, tempest workspace, runs
: "${TT_KEYSTONE_PORT:=5050}"                  # not 5000: a reference harness may use that
: "${TT_HTTP_PORT:=9496}"                      # static file server for [image] http_image
: "${TT_REGION:=RegionOne}"
: "${TT_ADMIN_PASSWORD:=tempest-admin-pw}"
: "${TT_SERVICE_USER:=imaged}"
: "${TT_SERVICE_PASSWORD:=imaged-service-pw}"
: "${TT_CONCURRENCY:=2}"                       # tempest workers
: "${TT_RUN_TIMEOUT:=1800}"                    # hard cap (s) on one tempest run

TT_KS_DIR="$TT_BASE/keystone"
TT_WS_DIR="$TT_BASE/workspace"
TT_WWW_DIR="$TT_BASE/www"
TT_RUN_DIR="$TT_BASE/run"
TT_KS_CONF="$TT_KS_DIR/keystone.conf"
TT_KS_URL="http://127.0.0.1:${TT_KEYSTONE_PORT}"
TT_HTTP_IMAGE_URL="http://127.0.0.1:${TT_HTTP_PORT}/tempest-image.img"

# Debian's python (tempest, keystone, subunit), never a pyenv/venv python on PATH.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

tt_log() { echo "[tempest-harness] $*"; }

tt_pid_alive() {  # $1 = pid file
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

tt_wait_http() {  # $1 = url, $2 = seconds; polls until anything answers
  local deadline=$(( $(date +%s) + ${2:-60} ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    sleep 0.5
  done
  return 1
}

# The admin of the harness Keystone, for the openstack CLI.
tt_admin_env() {
  export OS_AUTH_URL="$TT_KS_URL/v3" OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin \
         OS_PASSWORD="$TT_ADMIN_PASSWORD" OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default \
         OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME="$TT_REGION" OS_INTERFACE=public
  unset OS_CLOUD OS_TOKEN 2>/dev/null || true
}
