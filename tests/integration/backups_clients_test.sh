#!/usr/bin/env bash
# The Block Storage client from Debian (cinder, python3-cinderclient 9.1) against
# the backups API of a real imaged, unchanged: every backup call it can drive, plus
# curl for the byte comparisons. Without Keystone, cinderclient's `noauth` plugin
# sends the token "<user-id>:<project-id>", which the tokens file below knows.
#
# The endpoint is http://HOST:PORT/volume/v3/<project>, as devstack mounts Cinder:
# cinderclient reads the versions document at the root of the endpoint
# (http://HOST:PORT/volume/ here) before any call, and imaged's own root serves
# the Images API's document, which cinderclient cannot read.
# Usage: backups_clients_test.sh IMAGED_BINARY
source "$(dirname "$0")/clients_lib.sh" "$@"
cl_need cinder

cl_tokens <<'JSON'
{"tokens": {"tokA": {"project": "projA"}, "tokB": {"project": "projB"},
            "alice:projA": {"project": "projA", "user": "alice"},
            "bob:projB": {"project": "projB", "user": "bob"},
            "root:admin": {"project": "admin", "user": "root", "roles": ["admin", "member", "reader"]}}}
JSON
cl_start_imaged --fsync false

cinder_as() {  # cinder_as USER PROJECT ARGS...
  local user=$1 project=$2; shift 2
  cinder --os-auth-type noauth --os-user-id "$user" --os-project-id "$project" \
    --os-endpoint "$URL/volume/v3/$project" --os-volume-api-version 3.64 "$@"
}
A() { cinder_as alice projA "$@"; }

field() {  # field BACKUP_ID NAME [TOKEN PROJECT]: a field of the backup, via curl
  curl -s -H "X-Auth-Token: ${3:-tokA}" -H "OpenStack-API-Version: volume 3.64" \
    "$URL/v3/${4:-projA}/backups/$1" | /usr/bin/python3 -c \
    "import json,sys; v=json.load(sys.stdin).get('backup', {}).get('$2'); print('' if v is None else v)"
}
wait_status() {  # wait_status BACKUP_ID STATUS: polls (deadline 60 s) until the backup has STATUS
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    [[ "$(field "$1" status)" == "$2" ]] && return 0
    sleep 0.05
  done
  echo "backup $1 is $(field "$1" status), not $2"; return 1
}
wait_gone() {
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Auth-Token: tokA' "$URL/v3/projA/backups/$1")" == 404 ]] && return 0
    sleep 0.05
  done
  return 1
}
image_field() {
  curl -sf -H "X-Auth-Token: tokA" "$URL/v2/images/$1" | /usr/bin/python3 -c \
    "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}
wait_image_active() {
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    [[ "$(image_field "$1" status)" == active ]] && return 0
    sleep 0.05
  done
  return 1
}
create_image() {  # create_image NAME FILE -> id
  local id
  id=$(curl -sf -X POST -H "X-Auth-Token: tokA" -H 'Content-Type: application/json' \
    -d "{\"name\": \"$1\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}" "$URL/v2/images" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -sf -X PUT -H "X-Auth-Token: tokA" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$2" "$URL/v2/images/$id/file"
  echo "$id"
}

head -c 5000000 /dev/urandom >"$WORK/data.img"
IMG=$(create_image src "$WORK/data.img")

# --- create, show, list ---
out=$(A backup-create --name nightly --description first --container clic "$IMG" 2>&1) ||
  { echo "$out"; echo "FAIL - cinder backup-create"; exit 1; }
BID=$(awk '$2=="id"{print $4}' <<<"$out")
echo "ok   - cinder backup-create ($BID)"
check "the backup becomes available" wait_status "$BID" available
check "volume_id is the image id" test "$(field "$BID" volume_id)" = "$IMG"
check "cinder backup-list shows it" grep -q "$BID" <<<"$(A backup-list)"
check "cinder backup-list --name" grep -q "$BID" <<<"$(A backup-list --name nightly)"
check "cinder backup-list --status --volume-id" grep -q "$BID" <<<"$(A backup-list --status available --volume-id "$IMG")"
check "cinder backup-list --sort --limit" A backup-list --sort name:asc --limit 1
check "cinder backup-list --with-count" grep -q "Backup in total: 1" <<<"$(A backup-list --with-count)"
check "cinder backup-show" grep -q "clic" <<<"$(A backup-show "$BID")"
check "cinder backup-update" A backup-update --name renamed --description second --metadata k=v "$BID"
check "update applied" test "$(field "$BID" name)/$(field "$BID" description)" = "renamed/second"

# --- incremental, dependents ---
out=$(A backup-create --incremental --name incr "$IMG" 2>&1) || echo "$out"
IID=$(awk '$2=="id"{print $4}' <<<"$out")
check "cinder backup-create --incremental" wait_status "$IID" available
check "it is incremental" test "$(field "$IID" is_incremental)" = True
check "its parent has dependents" test "$(field "$BID" has_dependent_backups)" = True
expect_fail "cinder backup-delete of a backup with dependents" "Incremental backups exist" A backup-delete "$BID"

# --- restore ---
out=$(A backup-restore --name from-cli "$IID" 2>&1) || echo "$out"
RIMG=$(awk '$2=="volume_id"{print $4}' <<<"$out")
check "cinder backup-restore to a new image" wait_image_active "$RIMG"
curl -sf -H "X-Auth-Token: tokA" "$URL/v2/images/$RIMG/file" -o "$WORK/restored.img"
check "restored bytes equal the original" cmp "$WORK/data.img" "$WORK/restored.img"
EMPTY=$(curl -sf -X POST -H "X-Auth-Token: tokA" -H 'Content-Type: application/json' \
  -d '{"name": "target"}' "$URL/v2/images" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "cinder backup-restore --volume into an empty image" A backup-restore --volume "$EMPTY" "$BID"
check "the empty image is filled" wait_image_active "$EMPTY"
curl -sf -H "X-Auth-Token: tokA" "$URL/v2/images/$EMPTY/file" -o "$WORK/restored2.img"
check "its bytes equal the original" cmp "$WORK/data.img" "$WORK/restored2.img"
check "the backup is available again" wait_status "$BID" available
expect_fail "cinder backup-restore into an image that has data" "must be queued" A backup-restore --volume "$IMG" "$BID"

# --- openstack (python3-openstackclient 6.0), which needs no version discovery ---
if command -v openstack >/dev/null; then
  O=(openstack --os-auth-type admin_token --os-endpoint "$URL/v3/projA" --os-token tokA
     --os-volume-api-version 3.64)
  check "openstack volume backup create" "${O[@]}" volume backup create --name osc "$IMG"
  OB=$("${O[@]}" volume backup show osc -f value -c id 2>/dev/null || true)
  check "the openstack backup becomes available" wait_status "$OB" available
  check "openstack volume backup list" grep -q "$OB" <<<"$("${O[@]}" volume backup list)"
  check "openstack volume backup set" "${O[@]}" volume backup set --name osc2 --description d "$OB"
  check "set applied" test "$(field "$OB" name)/$(field "$OB" description)" = "osc2/d"
  # OSC 6.0's restore sends the right request and then fails to print the answer
  # (it returns the restore object where cliff wants (columns, data)): check the result.
  "${O[@]}" volume backup restore "$OB" osc-restored >/dev/null 2>&1 || true
  ORI=$(curl -sf -H "X-Auth-Token: tokA" "$URL/v2/images?name=osc-restored" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')
  check "openstack volume backup restore makes an image" wait_image_active "$ORI"
  curl -sf -H "X-Auth-Token: tokA" "$URL/v2/images/$ORI/file" -o "$WORK/restored-osc.img"
  check "its bytes equal the original" cmp "$WORK/data.img" "$WORK/restored-osc.img"
  check "openstack volume backup delete" "${O[@]}" volume backup delete "$OB"
  check "the openstack backup is gone" wait_gone "$OB"
fi

# --- other projects, admin calls ---
expect_fail "another project cannot see the backup" "could not be found\|No volumebackup" cinder_as bob projB backup-show "$BID"
expect_fail "another project cannot delete it" "could not be found\|No volumebackup" cinder_as bob projB backup-delete "$BID"
expect_fail "export needs admin" "403\|Policy doesn't allow" A backup-export "$BID"
out=$(cinder_as root admin backup-export "$BID" 2>&1) || echo "$out"
SVC=$(awk '$2=="backup_service"{print $4}' <<<"$out")
BURL=$(awk '$2=="backup_url"{print $4}' <<<"$out")
check "cinder backup-export as admin" test "$SVC" = imagefs.backup.local
expect_fail "cinder backup-import of an existing id" "already exists" cinder_as root admin backup-import "$SVC" "$BURL"
check "cinder backup-reset-state as admin" cinder_as root admin backup-reset-state --state error "$IID"
check "the state is error" test "$(field "$IID" status)" = error
check "cinder backup-reset-state back to available" cinder_as root admin backup-reset-state --state available "$IID"

# --- delete ---
check "cinder backup-delete of the incremental" A backup-delete "$IID"
check "it is gone" wait_gone "$IID"
check "cinder backup-delete of the parent" A backup-delete "$BID"
check "it is gone too" wait_gone "$BID"
check "the backup store has no block left" test -z "$(find "$WORK/data/backups/clic/blocks" -type f)"

# --- import after export: the record alone brings the backup back ---
out=$(A backup-create --name again "$IMG" 2>&1) || echo "$out"
AID=$(awk '$2=="id"{print $4}' <<<"$out")
check "a new backup" wait_status "$AID" available
out=$(cinder_as root admin backup-export "$AID" 2>&1) || echo "$out"
BURL=$(awk '$2=="backup_url"{print $4}' <<<"$out")
# Forget the record only (the catalog row), keeping the bytes: a second imaged
# sharing the store directory imports it.
"$IMAGED" --listen 127.0.0.1:0 --data-dir "$WORK/data2" --backup-dir "$WORK/data/backups" \
  --tokens "$WORK/tokens.json" --fsync false --port-file "$WORK/port2" 2>"$WORK/imaged2.log" &
PID2=$!
for _ in $(seq 200); do [[ -s "$WORK/port2" ]] && break; sleep 0.05; done
URL2="http://127.0.0.1:$(cat "$WORK/port2")"
C2=(cinder --os-auth-type noauth --os-user-id root --os-project-id admin
    --os-endpoint "$URL2/volume/v3/admin" --os-volume-api-version 3.64)
check "cinder backup-import on a second imaged" "${C2[@]}" backup-import imagefs.backup.local "$BURL"
deadline=$((SECONDS + 60))
st=""
while ((SECONDS < deadline)); do
  st=$(curl -s -H "X-Auth-Token: root:admin" "$URL2/v3/admin/backups/$AID" |
       /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["backup"]["status"])')
  [[ "$st" == available || "$st" == error ]] && break
  sleep 0.05
done
check "the imported backup is available" test "$st" = available
out=$("${C2[@]}" backup-restore "$AID" 2>&1) || echo "$out"
R2=$(awk '$2=="volume_id"{print $4}' <<<"$out")
deadline=$((SECONDS + 60))
until [[ "$(curl -s -H 'X-Auth-Token: root:admin' "$URL2/v2/images/$R2" |
            /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("status"))')" == active ]] ||
      ((SECONDS > deadline)); do sleep 0.05; done
curl -sf -H "X-Auth-Token: root:admin" "$URL2/v2/images/$R2/file" -o "$WORK/restored3.img"
check "bytes restored on the second imaged equal the original" cmp "$WORK/data.img" "$WORK/restored3.img"
kill "$PID2"; wait "$PID2" || true

if ((fails > 0)); then echo "$fails check(s) failed"; exit 1; fi
echo "all backup client checks passed"
