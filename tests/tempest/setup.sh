#!/bin/bash
# setup.sh - prepares the tempest harness of imaged on a Debian 12 machine (root):
#   * installs keystone, tempest and the tools they need from Debian;
#   * configures a throw-away Keystone under $TT_BASE/keystone (sqlite in WAL mode,
#     fernet tokens, cheap password hashing, in-process cache), bootstraps the admin,
#     and registers imaged's service user ($TT_SERVICE_USER, roles admin and service
#     in project "service") and the "image" service;
#   * creates the file tempest downloads ([image] http_image) and the tempest workspace;
#   * leaves Keystone and the file server running (services.sh stop all stops them).
# Idempotent. Exit code 77 when the packages cannot be installed (tests skip).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"

PKGS="keystone tempest python3-tempest python3-openstackclient python3-subunit \
      uwsgi-core uwsgi-plugin-python3 sqlite3 curl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  tt_log "installing:$missing"
  # Debian's keystone package configures nothing by itself (no database, no
  # endpoints); everything below runs it from $TT_BASE only.
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q $missing; then
    apt-get -o DPkg::Lock::Timeout=900 update -q || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q $missing \
      || { echo "cannot install:$missing" >&2; exit 77; }
  fi
fi

mkdir -p "$TT_KS_DIR"/{fernet-keys,credential-keys,receipt-keys} "$TT_WWW_DIR" "$TT_RUN_DIR"
chmod 700 "$TT_KS_DIR"/fernet-keys "$TT_KS_DIR"/credential-keys "$TT_KS_DIR"/receipt-keys
"$HERE/services.sh" stop keystone

cat >"$TT_KS_CONF" <<CONF
[DEFAULT]
log_dir = $TT_KS_DIR
log_file = keystone.log
[database]
connection = sqlite:///$TT_KS_DIR/keystone.db?timeout=60
[token]
provider = fernet
expiration = ${TT_TOKEN_EXPIRATION:-14400}
[fernet_tokens]
key_repository = $TT_KS_DIR/fernet-keys/
[fernet_receipts]
key_repository = $TT_KS_DIR/receipt-keys/
[credential]
key_repository = $TT_KS_DIR/credential-keys/
[identity]
# tempest creates and authenticates many users; bcrypt's default cost makes each
# token take a second on a small machine
password_hash_rounds = 4
[cache]
# coherent: keystone runs as one process
enabled = true
backend = dogpile.cache.memory
expiration_time = 600
CONF

KM="keystone-manage --config-file $TT_KS_CONF"
$KM db_sync
[ -n "$(ls -A "$TT_KS_DIR/fernet-keys")" ] || $KM fernet_setup --keystone-user root --keystone-group root
[ -n "$(ls -A "$TT_KS_DIR/credential-keys")" ] || $KM credential_setup --keystone-user root --keystone-group root
[ -n "$(ls -A "$TT_KS_DIR/receipt-keys")" ] || $KM receipt_setup --keystone-user root --keystone-group root
# WAL: readers never block the writer ("database is locked" otherwise)
sqlite3 "$TT_KS_DIR/keystone.db" 'PRAGMA journal_mode=WAL;' >/dev/null
$KM bootstrap --bootstrap-password "$TT_ADMIN_PASSWORD" --bootstrap-username admin \
  --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-region-id "$TT_REGION" \
  --bootstrap-admin-url "$TT_KS_URL/v3" --bootstrap-internal-url "$TT_KS_URL/v3" \
  --bootstrap-public-url "$TT_KS_URL/v3" 2>&1 | grep -v -e getcurrent -e '^Traceback' -e '^  ' || true

"$HERE/services.sh" start keystone

tt_admin_env
os() { openstack "$@"; }
os project show service -f value -c id >/dev/null 2>&1 || os project create --domain Default service -f value -c id
os role show service -f value -c id >/dev/null 2>&1 || os role create service -f value -c id
if os user show --domain Default "$TT_SERVICE_USER" -f value -c id >/dev/null 2>&1; then
  os user set --password "$TT_SERVICE_PASSWORD" "$TT_SERVICE_USER"
else
  os user create --domain Default --password "$TT_SERVICE_PASSWORD" "$TT_SERVICE_USER" -f value -c id
fi
os role add --project service --user "$TT_SERVICE_USER" admin
os role add --project service --user "$TT_SERVICE_USER" service
os service show image -f value -c id >/dev/null 2>&1 || \
  os service create --name imaged --description "imagefs image service" image -f value -c id

# The file tempest imports with web-download and uses as an http location.
[ -s "$TT_WWW_DIR/tempest-image.img" ] || head -c 262144 /dev/urandom >"$TT_WWW_DIR/tempest-image.img"
"$HERE/services.sh" start http

if [ ! -f "$TT_WS_DIR/.stestr.conf" ]; then
  rm -rf "$TT_WS_DIR"
  tempest init --workspace-path "$TT_BASE/workspace.yaml" --name imagefs "$TT_WS_DIR"
fi
tt_log "setup done: keystone $TT_KS_URL, http_image $TT_HTTP_IMAGE_URL, workspace $TT_WS_DIR"
