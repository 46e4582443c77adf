#!/usr/bin/env bash
# The backups API (/v3/{project_id}/backups) of a real imaged driven by curl alone:
# every call, paging, sorting, filters and with_count, each status transition
# held visible while its job runs, each refusal, byte-exact restores and reads
# (the /data extension), blocks stored once, and export/import into a second
# imaged sharing the backup store.
#
# Transitions are held deterministically from outside imaged: an exclusive
# flock(2) on <container>/lock stalls a backup (creating) and a delete (deleting);
# a FIFO in place of a block file stalls a restore (restoring); a regular file
# where a container should be fails a backup (error); a directory in place of a
# reference file fails a delete (error_deleting).
# Usage: backups_curl_test.sh IMAGED_BINARY
set -euo pipefail
IMAGED=${1:?usage: backups_curl_test.sh IMAGED_BINARY}
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }

WORK=$(mktemp -d /tmp/imaged-backup-curl-XXXXXX)
STORE="$WORK/store"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/tokens.json" <<'JSON'
{"tokens": {"tokA": {"project": "projA", "user": "alice", "roles": ["member", "reader"]},
            "tokB": {"project": "projB", "user": "bob", "roles": ["member", "reader"]},
            "tokR": {"project": "projA", "user": "rita", "roles": ["reader"]},
            "admin": {"project": "admin", "user": "root", "roles": ["admin", "member", "reader"]}}}
JSON

start_imaged() {  # start_imaged NAME VAR: starts an imaged, sets VAR to its URL
  "$IMAGED" --listen 127.0.0.1:0 --data-dir "$WORK/$1" --backup-dir "$STORE" \
    --tokens "$WORK/tokens.json" --fsync false --port-file "$WORK/$1.port" 2>"$WORK/$1.log" &
  PIDS+=($!)
  for _ in $(seq 200); do [[ -s "$WORK/$1.port" ]] && break; sleep 0.05; done
  [[ -s "$WORK/$1.port" ]] || { cat "$WORK/$1.log"; echo "FAIL: imaged $1 did not start"; exit 1; }
  printf -v "$2" '%s' "http://127.0.0.1:$(cat "$WORK/$1.port")"
}
start_imaged one URL

fails=0
ok() { echo "ok   - $1"; }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }
expect() {  # expect DESCRIPTION ACTUAL WANTED
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi
}

# req METHOD PATH [BODY] [TOKEN] [VERSION] [URL]: prints the status; the body is in $WORK/body.
req() {
  local args=(-s -o "$WORK/body" -w '%{http_code}' -X "$1")
  [[ -n "${4-tokA}" ]] && args+=(-H "X-Auth-Token: ${4-tokA}")
  [[ "${5-3.64}" != none ]] && args+=(-H "OpenStack-API-Version: volume ${5:-3.64}")
  [[ -n "${3:-}" ]] && args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}" "${6:-$URL}$2"
}
# js EXPR: evaluates EXPR on the JSON in $WORK/body (d is the document).
js() {
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=$1; print('' if v is None else (json.dumps(v) if isinstance(v,(dict,list,bool)) else v))" "$WORK/body"
}
field() {  # field ID NAME [TOKEN PROJECT URL]
  req GET "/v3/${4:-projA}/backups/$1" "" "${3:-tokA}" 3.64 "${5:-$URL}" >/dev/null
  js "d.get('backup', {}).get('$2')"
}
wait_status() {  # wait_status ID STATUS [TOKEN PROJECT URL]: bounded poll (60 s)
  local deadline=$((SECONDS + 60)) st
  while ((SECONDS < deadline)); do
    st=$(field "$1" status "${3:-tokA}" "${4:-projA}" "${5:-$URL}")
    [[ "$st" == "$2" ]] && return 0
    [[ "$2" == gone && -z "$st" ]] && return 0
    sleep 0.05
  done
  echo "       backup $1 is '$st', not $2"
  return 1
}
image_field() {  # image_field ID NAME [TOKEN URL]
  curl -s -H "X-Auth-Token: ${3:-tokA}" "${4:-$URL}/v2/images/$1" |
    /usr/bin/python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}
wait_image() {  # wait_image ID STATUS [TOKEN URL]
  local deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    [[ "$(image_field "$1" status "${3:-tokA}" "${4:-$URL}")" == "$2" ]] && return 0
    sleep 0.05
  done
  return 1
}
new_image() {  # new_image NAME [FILE]: a raw image, active with FILE's bytes (queued without)
  local id
  id=$(curl -sf -X POST -H "X-Auth-Token: tokA" -H 'Content-Type: application/json' \
    -d "{\"name\": \"$1\", \"disk_format\": \"raw\", \"container_format\": \"bare\"}" "$URL/v2/images" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  if [[ -n "${2:-}" ]]; then
    curl -sf -X PUT -H "X-Auth-Token: tokA" -H 'Content-Type: application/octet-stream' \
      --data-binary @"$2" "$URL/v2/images/$id/file"
  fi
  echo "$id"
}
create() {  # create BODY -> backup id ("" unless 202)
  local code
  code=$(req POST /v3/projA/backups "$1")
  [[ "$code" == 202 ]] && js "d['backup']['id']" || { echo "       create: $code $(cat "$WORK/body")" >&2; echo ""; }
}
# hold_lock CONTAINER: holds the container's lock exclusively until release_lock.
hold_lock() {
  rm -f "$WORK/locked"
  /usr/bin/python3 -c 'import fcntl,sys,time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(120)' \
    "$STORE/$1/lock" "$WORK/locked" &
  LOCKER=$!
  PIDS+=("$LOCKER")
  for _ in $(seq 200); do [[ -e "$WORK/locked" ]] && return 0; sleep 0.05; done
  bad "could not take the container lock"
}
release_lock() { kill "$LOCKER"; wait "$LOCKER" 2>/dev/null || true; }
block_path() {  # block_path CONTAINER FILE OFFSET_MIB: where the 1 MiB block at OFFSET is stored
  local h
  h=$(dd if="$2" bs=1M skip="$3" count=1 status=none | sha256sum | cut -c1-64)
  echo "$STORE/$1/blocks/${h:0:2}/$h"
}
block_count() { find "$STORE/${1:-backups}/blocks" -type f 2>/dev/null | wc -l; }

MiB=1048576
head -c $((5 * MiB + 3)) /dev/urandom >"$WORK/v1.img"
cp "$WORK/v1.img" "$WORK/v2.img"
head -c $((2 * MiB)) /dev/urandom | dd of="$WORK/v2.img" bs=1M seek=2 conv=notrunc status=none
I1=$(new_image v1 "$WORK/v1.img")
I2=$(new_image v2 "$WORK/v2.img")

# --- create (volume_id and its image_id alias), show ---
code=$(req POST /v3/projA/backups "{\"backup\": {\"volume_id\": \"$I1\", \"name\": \"b-one\", \"description\": \"first\", \"metadata\": {\"k\": \"v\"}}}")
expect "POST backups with volume_id is 202" "$code" 202
expect "the answer is the summary {id, links, name}" "$(js 'sorted(d["backup"])')" '["id", "links", "name"]'
B1=$(js "d['backup']['id']")
wait_status "$B1" available && ok "the backup becomes available" || bad "the backup becomes available"
req GET "/v3/projA/backups/$B1" >/dev/null
expect "show: volume_id is the image" "$(js "d['backup']['volume_id']")" "$I1"
expect "show: size in GiB, object_count in blocks" "$(js "(d['backup']['size'], d['backup']['object_count'])")" "(1, 6)"
expect "show: not incremental, no dependents" "$(js "(d['backup']['is_incremental'], d['backup']['has_dependent_backups'])")" "(False, False)"
expect "show: container, fail_reason, metadata" "$(js "(d['backup']['container'], d['backup']['fail_reason'], d['backup']['metadata'])")" "('backups', None, {'k': 'v'})"
expect "show: data_timestamp = created_at" "$(js "d['backup']['data_timestamp'] == d['backup']['created_at']")" true
expect "show: self link" "$(js "d['backup']['links'][0]['href']")" "$URL/v3/projA/backups/$B1"
expect "show: no project attribute for a member" "$(js "'os-backup-project-attr:project_id' in d['backup']")" false
req GET "/v3/admin/backups/$B1" "" admin >/dev/null
expect "show: the project attribute for an admin (3.18)" "$(js "d['backup']['os-backup-project-attr:project_id']")" projA
expect "show: stored bytes are the 6 distinct blocks" "$(field "$B1" imagefs:stored_bytes)" $((5 * MiB + 3))

# creating held visible: the container's lock stalls the backup of the second image.
hold_lock backups
code=$(req POST /v3/projA/backups "{\"backup\": {\"image_id\": \"$I2\", \"name\": \"b-two\"}}")
expect "POST backups with the image_id alias is 202" "$code" 202
B2=$(js "d['backup']['id']")
expect "creating is visible while the backup runs" "$(field "$B2" status)" creating
sleep 0.3
expect "... and stays while the store is locked" "$(field "$B2" status)" creating
code=$(req DELETE "/v3/projA/backups/$B2")
expect "DELETE of a creating backup is 400" "$code" 400
release_lock
wait_status "$B2" available && ok "creating -> available" || bad "creating -> available"
expect "a second image differing in 2 blocks stores only those (bytes)" "$(field "$B2" imagefs:stored_bytes)" $((2 * MiB))
expect "... and the store holds 6 + 2 blocks" "$(block_count)" 8

# error, with fail_reason: a file where the container directory should be.
touch "$STORE/blocked"
BE=$(create "{\"backup\": {\"volume_id\": \"$I1\", \"container\": \"blocked\"}}")
wait_status "$BE" error && ok "creating -> error when the store fails" || bad "creating -> error"
[[ -n "$(field "$BE" fail_reason)" ]] && ok "error carries a fail_reason" || bad "error carries a fail_reason"

# refusals of create
expect "create of an unknown image is 404" "$(req POST /v3/projA/backups '{"backup": {"volume_id": "00000000-0000-0000-0000-0000000000aa"}}')" 404
expect "create with an unknown key is 400" "$(req POST /v3/projA/backups "{\"backup\": {\"volume_id\": \"$I1\", \"bogus\": 1}}")" 400
expect "create of another project's image is 404" "$(req POST /v3/projB/backups "{\"backup\": {\"volume_id\": \"$I1\"}}" tokB)" 404
expect "create by a reader is 403" "$(req POST /v3/projA/backups "{\"backup\": {\"volume_id\": \"$I1\"}}" tokR)" 403
Q=$(new_image queued)
expect "create of an image without data is 400" "$(req POST /v3/projA/backups "{\"backup\": {\"volume_id\": \"$Q\"}}")" 400
expect "incremental without an available backup is 400" "$(req POST /v3/projA/backups "{\"backup\": {\"volume_id\": \"$Q\", \"incremental\": true}}")" 400

# --- incremental, dependents ---
B3=$(create "{\"backup\": {\"volume_id\": \"$I1\", \"incremental\": true, \"name\": \"b-three\"}}")
wait_status "$B3" available && ok "incremental backup available" || bad "incremental backup available"
expect "it is incremental" "$(field "$B3" is_incremental)" true
expect "its parent has dependents" "$(field "$B1" has_dependent_backups)" true
expect "it stored no new block" "$(field "$B3" imagefs:stored_bytes)" 0
code=$(req DELETE "/v3/projA/backups/$B1")
expect "deleting a backup with dependents is 400" "$code/$(js "d['badRequest']['message']")" "400/Incremental backups exist for this backup."

# --- list, detail: paging, sorting, filters, with_count ---
req GET /v3/projA/backups >/dev/null
expect "list: newest first, summary keys" "$(js "[b['id'] for b in d['backups']]")/$(js "sorted(d['backups'][0])")" "[\"$B3\", \"$BE\", \"$B2\", \"$B1\"]/[\"id\", \"links\", \"name\"]"
seen=""
next="/v3/projA/backups/detail?limit=1"
while [[ -n "$next" ]]; do
  req GET "$next" >/dev/null
  seen+="$(js "','.join(b['id'] for b in d['backups'])"),"
  next=$(js "d['backups_links'][0]['href'][len('$URL'):] if 'backups_links' in d else ''")
done
expect "detail: limit=1 and the next links walk every backup" "$seen" "$B3,$BE,$B2,$B1,,"
req GET "/v3/projA/backups?limit=2&offset=1" >/dev/null
expect "limit and offset" "$(js "[b['id'] for b in d['backups']]")" "[\"$BE\", \"$B2\"]"
req GET "/v3/projA/backups?marker=$BE" >/dev/null
expect "marker starts after it" "$(js "[b['id'] for b in d['backups']]")" "[\"$B2\", \"$B1\"]"
expect "an unknown marker is 404" "$(req GET "/v3/projA/backups?marker=$I1")" 404
req GET "/v3/projA/backups/detail?sort=name:asc" "" tokA 3.37 >/dev/null
expect "sort=name:asc (3.37; null names first)" "$(js "[b['name'] for b in d['backups']]")" '[null, "b-one", "b-three", "b-two"]'
expect "sort=name before 3.37 is 400" "$(req GET "/v3/projA/backups?sort=name" "" tokA 3.36)" 400
req GET "/v3/projA/backups?sort_key=created_at&sort_dir=asc" >/dev/null
expect "sort_key and sort_dir" "$(js "d['backups'][0]['id']")" "$B1"
expect "mixing sort and sort_key is 400" "$(req GET "/v3/projA/backups?sort=id&sort_key=id")" 400
expect "an unknown sort key is 400" "$(req GET "/v3/projA/backups?sort=bogus")" 400
req GET "/v3/projA/backups?with_count=true&limit=1" >/dev/null
expect "with_count on list (3.45)" "$(js "(d['count'], len(d['backups']))")" "(4, 1)"
req GET "/v3/projA/backups/detail?with_count=true&status=available" >/dev/null
expect "with_count on detail counts the filtered backups" "$(js "d['count']")" 3
expect "with_count before 3.45 is an unknown filter (400)" "$(req GET "/v3/projA/backups?with_count=true" "" tokA 3.44)" 400
req GET "/v3/projA/backups?name=b-two" >/dev/null
expect "filter name" "$(js "[b['id'] for b in d['backups']]")" "[\"$B2\"]"
req GET "/v3/projA/backups/detail?status=error" >/dev/null
expect "filter status" "$(js "[b['id'] for b in d['backups']]")" "[\"$BE\"]"
req GET "/v3/projA/backups?volume_id=$I2" >/dev/null
expect "filter volume_id" "$(js "[b['id'] for b in d['backups']]")" "[\"$B2\"]"
expect "an unknown filter is 400 from 3.31" "$(req GET "/v3/projA/backups?container=backups" "" tokA 3.31)" 400
req GET "/v3/projA/backups?container=nothing" "" tokA 3.30 >/dev/null
expect "... and dropped before 3.31" "$(js "len(d['backups'])")" 4
expect "a negative limit is 400" "$(req GET "/v3/projA/backups?limit=-1")" 400
req GET "/v3/admin/backups?all_tenants=true&volume_id=$I1" "" admin >/dev/null
expect "admin all_tenants sees projA's backups" "$(js "len(d['backups'])")" 3
req GET /v3/projB/backups "" tokB >/dev/null
expect "a stranger project lists none" "$(js "len(d['backups'])")" 0

# --- update ---
expect "PUT before 3.9 is 404" "$(req PUT "/v3/projA/backups/$B2" '{"backup": {"name": "x"}}' tokA 3.8)" 404
code=$(req PUT "/v3/projA/backups/$B2" '{"backup": {"name": "renamed", "description": "d2", "metadata": {"a": "b"}}}')
expect "PUT name, description, metadata is 200 with the summary" "$code/$(js "d['backup']['name']")" "200/renamed"
expect "update applied" "$(field "$B2" description)/$(field "$B2" metadata)" 'd2/{"a": "b"}'
expect "PUT of another key is 400" "$(req PUT "/v3/projA/backups/$B2" '{"backup": {"status": "error"}}')" 400
expect "PUT of metadata before 3.43 is 400" "$(req PUT "/v3/projA/backups/$B2" '{"backup": {"metadata": {}}}' tokA 3.42)" 400

# --- strangers, readers, admin-only calls ---
expect "a stranger's show is 404" "$(req GET "/v3/projB/backups/$B1" "" tokB)" 404
expect "a stranger's delete is 404" "$(req DELETE "/v3/projB/backups/$B2" "" tokB)" 404
expect "a stranger's restore is 404" "$(req POST "/v3/projB/backups/$B1/restore" '{"restore": {}}' tokB)" 404
expect "a stranger's data is 404" "$(req GET "/v3/projB/backups/$B1/data" "" tokB)" 404
expect "another project's URL is 400" "$(req GET "/v3/projA/backups/$B1" "" tokB)" 400
expect "delete by a reader is 403" "$(req DELETE "/v3/projA/backups/$B2" "" tokR)" 403
expect "export by a member is 403" "$(req GET "/v3/projA/backups/$B1/export_record")" 403
expect "import by a member is 403" "$(req POST /v3/projA/backups/import_record '{"backup-record": {"backup_service": "x", "backup_url": "e30="}}')" 403
expect "reset-status by a member is 403" "$(req POST "/v3/projA/backups/$B1/action" '{"os-reset_status": {"status": "error"}}')" 403
expect "force-delete is 405 (admin)" "$(req POST "/v3/admin/backups/$B1/action" '{"os-force_delete": {}}' admin)" 405
expect "no token is 401" "$(req GET "/v3/projA/backups" "" "")" 401

# --- data (imaged extension) ---
curl -s -H "X-Auth-Token: tokA" "$URL/v3/projA/backups/$B2/data" -o "$WORK/data2"
cmp -s "$WORK/v2.img" "$WORK/data2" && ok "GET data gives the backup's bytes" || bad "GET data gives the backup's bytes"
code=$(curl -s -o "$WORK/part" -w '%{http_code}' -H "X-Auth-Token: tokA" -H "Range: bytes=$((MiB - 4))-$((MiB + 3))" \
  "$URL/v3/projA/backups/$B2/data")
expect "GET data with a Range across blocks is 206" "$code" 206
cmp -s "$WORK/part" <(dd if="$WORK/v2.img" bs=1 skip=$((MiB - 4)) count=8 status=none) &&
  ok "... with those bytes" || bad "... with those bytes"
expect "GET data of a backup in error is 400" "$(req GET "/v3/projA/backups/$BE/data")" 400

# --- block map (imaged extension): what the mount verifies backup reads against ---
expect "GET blocks is 200" "$(req GET "/v3/projA/backups/$B2/blocks")" 200
expect "... with the backup's size" "$(js "d['size']")" "$(stat -c %s "$WORK/v2.img")"
expect "... and one SHA-256 per block" "$(js "(d['block_size'], d['algorithm'], len(d['digests']))")" \
  "$(/usr/bin/python3 -c "import os,sys; n=os.path.getsize(sys.argv[1]); print((1048576, 'sha256', (n + 1048575) // 1048576))" "$WORK/v2.img")"
expect "... the first of which is the first block's" "$(js "d['digests'][0]")" \
  "$(head -c 1048576 "$WORK/v2.img" | sha256sum | cut -d' ' -f1)"
expect "... and no CRC-32Cs (a backup's manifest has none)" "$(js "'crc32c' in d")" false
expect "a stranger's blocks is 404" "$(req GET "/v3/projB/backups/$B2/blocks" "" tokB)" 404
expect "GET blocks of a backup in error is 400" "$(req GET "/v3/projA/backups/$BE/blocks")" 400
expect "GET blocks of an unknown backup is 404" "$(req GET "/v3/projA/backups/00000000-0000-0000-0000-000000000000/blocks")" 404

# The image's own block map also carries the CRC-32C of each block, recorded at upload:
# the backup job checks its copies by them.
expect "GET /v2/images/{id}/blocks is 200" "$(req GET "/v2/images/$I2/blocks" "" tokA none)" 200
expect "... with one CRC-32C per block, the CRC-32C of that block's bytes" "$(/usr/bin/python3 - \
  "$WORK/body" "$WORK/v2.img" <<'PY'
import json, sys
table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    table.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = table[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
d = json.load(open(sys.argv[1]))
data = open(sys.argv[2], "rb").read()
want = ["%08x" % crc32c(data[i:i + 1048576]) for i in range(0, len(data), 1048576)]
print("match" if d.get("crc32c") == want and len(want) == len(d["digests"]) else
      f"got {d.get('crc32c')}, want {want}")
PY
)" match

BLOCK=$(block_path backups "$WORK/v1.img" 0)
mv "$BLOCK" "$WORK/saved-block"
mkfifo "$BLOCK"
code=$(req POST "/v3/projA/backups/$B1/restore" '{"restore": {"name": "stalled"}}')
expect "POST restore is 202" "$code" 202
RS=$(js "d['restore']['volume_id']")
expect "the answer names the backup and the new image" "$(js "(d['restore']['backup_id'], d['restore']['volume_name'])")" "('$B1', 'stalled')"
expect "restoring is visible while the restore runs" "$(field "$B1" status)" restoring
expect "... the new image is saving" "$(image_field "$RS" status)" saving
expect "DELETE of a restoring backup is 400" "$(req DELETE "/v3/projA/backups/$B1")" 400
expect "a second restore while restoring is 400" "$(req POST "/v3/projA/backups/$B1/restore" '{"restore": {}}')" 400
exec 8>"$BLOCK"  # lets the stalled open finish: an empty "block", which the restore refuses
exec 8>&-
wait_status "$B1" available && ok "restoring -> available after a failed restore" || bad "restoring -> available"
wait_image "$RS" killed && ok "the image the failed restore created is killed" || bad "created image killed"
rm -f "$BLOCK"
mv "$WORK/saved-block" "$BLOCK"

code=$(req POST "/v3/projA/backups/$B1/restore" '{"restore": {"name": "restored-one"}}')
R1=$(js "d['restore']['volume_id']")
wait_image "$R1" active && ok "restore to a new image" || bad "restore to a new image"
curl -s -H "X-Auth-Token: tokA" "$URL/v2/images/$R1/file" -o "$WORK/r1"
cmp -s "$WORK/v1.img" "$WORK/r1" && ok "the full backup restores byte for byte" || bad "the full backup restores byte for byte"
expect "the restored image names its backup" "$(image_field "$R1" src_backup_id)" "$B1"
wait_status "$B1" available || true
E=$(new_image empty)
code=$(req POST "/v3/projA/backups/$B3/restore" "{\"restore\": {\"volume_id\": \"$E\"}}")
expect "restore into an empty image is 202" "$code/$(js "d['restore']['volume_id']")" "202/$E"
wait_image "$E" active && ok "the empty image is filled" || bad "the empty image is filled"
curl -s -H "X-Auth-Token: tokA" "$URL/v2/images/$E/file" -o "$WORK/r3"
cmp -s "$WORK/v1.img" "$WORK/r3" && ok "the incremental backup restores byte for byte" || bad "the incremental restores byte for byte"
wait_status "$B3" available || true
code=$(req POST "/v3/projA/backups/$B1/restore" "{\"restore\": {\"volume_id\": \"$I2\"}}")
expect "restore into an image that has data is 400" "$code" 400
expect "restore into an unknown image is 404" "$(req POST "/v3/projA/backups/$B1/restore" '{"restore": {"volume_id": "00000000-0000-0000-0000-0000000000bb"}}')" 404
expect "restore of a backup in error is 400" "$(req POST "/v3/projA/backups/$BE/restore" '{"restore": {}}')" 400
expect "restore with an unknown key is 400" "$(req POST "/v3/projA/backups/$B1/restore" '{"restore": {"bogus": 1}}')" 400

# --- export / import into a second imaged sharing the store ---
code=$(req GET "/v3/admin/backups/$B2/export_record" "" admin)
expect "export_record as admin is 200" "$code/$(js "d['backup-record']['backup_service']")" "200/imagefs.backup.local"
RECORD=$(js "json.dumps({'backup-record': d['backup-record']})")
expect "export of a backup in error is 400" "$(req GET "/v3/admin/backups/$BE/export_record" "" admin)" 400
expect "import of an id that exists is 400" "$(req POST /v3/admin/backups/import_record "$RECORD" admin)" 400
expect "import with bad base64 is 400" "$(req POST /v3/admin/backups/import_record '{"backup-record": {"backup_service": "x", "backup_url": "!!"}}' admin)" 400
expect "import without backup_url is 400" "$(req POST /v3/admin/backups/import_record '{"backup-record": {"backup_service": "x"}}' admin)" 400
start_imaged two URL2
code=$(req POST /v3/admin/backups/import_record "$RECORD" admin 3.64 "$URL2")
expect "import_record on the second imaged is 201 with the same id" "$code/$(js "d['backup']['id']")" "201/$B2"
wait_status "$B2" available admin admin "$URL2" && ok "the imported backup becomes available" || bad "imported backup available"
expect "it keeps the record's image id" "$(field "$B2" volume_id admin admin "$URL2")" "$I2"
req POST "/v3/admin/backups/$B2/restore" '{"restore": {}}' admin 3.64 "$URL2" >/dev/null
RI=$(js "d['restore']['volume_id']")
wait_image "$RI" active admin "$URL2" && ok "restore on the second imaged" || bad "restore on the second imaged"
curl -s -H "X-Auth-Token: admin" "$URL2/v2/images/$RI/file" -o "$WORK/ri"
cmp -s "$WORK/v2.img" "$WORK/ri" && ok "bytes restored there equal the original" || bad "bytes restored there equal the original"
curl -s -H "X-Auth-Token: admin" "$URL2/v3/admin/backups/$B2/data" -o "$WORK/di"
cmp -s "$WORK/v2.img" "$WORK/di" && ok "and its data reads the same there" || bad "its data reads the same there"

# --- delete: deleting held visible, error_deleting, blocks freed exactly ---
hold_lock backups
expect "DELETE is 202" "$(req DELETE "/v3/projA/backups/$B3")" 202
expect "deleting is visible while the delete runs" "$(field "$B3" status)" deleting
expect "DELETE of a deleting backup is 400" "$(req DELETE "/v3/projA/backups/$B3")" 400
release_lock
wait_status "$B3" gone && ok "deleting -> gone" || bad "deleting -> gone"
expect "the incremental's delete freed nothing its parent uses" "$(block_count)" 8
expect "its parent has no dependents any more" "$(field "$B1" has_dependent_backups)" false
# the second imaged still holds B2: deleting it here keeps its blocks
expect "DELETE of the exported backup on the first imaged" "$(req DELETE "/v3/projA/backups/$B2")" 202
wait_status "$B2" gone || true
expect "its blocks stay while the second imaged holds it" "$(block_count)" 8
REF=""
for r in "$STORE"/backups/refs/*/"$B1"; do [[ -f "$r" ]] && REF=$r; done
[[ -n "$REF" ]] && ok "the first imaged holds a reference file for the full backup" || bad "no reference file for $B1"
rm -f "$REF"; mkdir -p "$REF/x"  # a reference file that cannot be removed
expect "DELETE of the full backup" "$(req DELETE "/v3/projA/backups/$B1")" 202
wait_status "$B1" error_deleting && ok "deleting -> error_deleting when the store fails" || bad "deleting -> error_deleting"
[[ -n "$(field "$B1" fail_reason)" ]] && ok "error_deleting carries a fail_reason" || bad "error_deleting carries a fail_reason"
expect "DELETE of an error_deleting backup is 400" "$(req DELETE "/v3/projA/backups/$B1")" 400
expect "reset to available is refused once its blocks were released" "$(req POST "/v3/admin/backups/$B1/action" '{"os-reset_status": {"status": "available"}}' admin)" 400
expect "reset to error (admin) is 202" "$(req POST "/v3/admin/backups/$B1/action" '{"os-reset_status": {"status": "error"}}' admin)" 202
rm -rf "$REF"
expect "DELETE after the reset is 202" "$(req DELETE "/v3/projA/backups/$B1")" 202
wait_status "$B1" gone && ok "the full backup is gone" || bad "the full backup is gone"
expect "only the second imaged's backup's 6 blocks remain" "$(block_count)" 6
req DELETE "/v3/admin/backups/$B2" "" admin 3.64 "$URL2" >/dev/null
wait_status "$B2" gone admin admin "$URL2" || true
expect "deleting it on the second imaged frees every block" "$(block_count)" 0
rm -f "$STORE/blocked"
expect "DELETE of the error backup" "$(req DELETE "/v3/projA/backups/$BE")" 202
wait_status "$BE" gone && ok "the error backup is gone" || bad "the error backup is gone"
expect "an unknown backup is 404" "$(req DELETE "/v3/projA/backups/$B1")" 404

if ((fails > 0)); then echo "$fails check(s) failed"; exit 1; fi
echo "all backup curl checks passed"
