#!/bin/bash
# locations_metadefs_test.sh IMAGED - http locations (v2 PATCH, v1 location and
# copy-from), single-store /v2/info/stores, and the metadefs API, against a real
# imaged (tokens file) and a loopback file server. Bounded; stops what it starts.
set -uo pipefail
IMAGED=$(readlink -f "${1:?usage: $0 IMAGED}")
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/imagefs-loc-test.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILED=0
expect() { if [ "$2" = "$3" ]; then echo "PASS $1"; else echo "FAIL $1: want $2, got $3"; FAILED=1; fi; }
req() {  # METHOD PATH TOKEN [BODY [TYPE]] -> status; body in $WORK/body
  local a=(-s -o "$WORK/body" -w '%{http_code}' --max-time 20 -X "$1" -H "X-Auth-Token: $3")
  [ $# -ge 4 ] && a+=(-H "Content-Type: ${5:-application/json}" --data-binary "$4")
  curl "${a[@]}" "$URL$2"
}
v1() {  # PATH TOKEN HEADER... -> status (POST, no body)
  local p="$1" t="$2"; shift 2
  local a=(-s -o "$WORK/body" -w '%{http_code}' --max-time 20 -X POST -H "X-Auth-Token: $t")
  for h in "$@"; do a+=(-H "$h"); done
  curl "${a[@]}" "$URL$p"
}
json() { $PY -c "import json; d=json.load(open('$WORK/body')); print($1)"; }
patch() {  # ID OPS-JSON -> status
  req PATCH "/v2/images/$1" tokA "$2" application/openstack-images-v2.1-json-patch
}

mkdir -p "$WORK/www"
head -c 300000 /dev/urandom >"$WORK/www/img.raw"
$PY -m http.server 0 --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
  HPORT=$(ss -ltnpH 2>/dev/null | awk -v p="pid=${PIDS[0]}," '$0 ~ p {split($4, a, ":"); print a[2]}')
  [ -n "$HPORT" ] && break; sleep 0.1
done
[ -n "${HPORT:-}" ] || { echo "file server did not start"; exit 1; }
SRC="http://127.0.0.1:$HPORT/img.raw"

cat >"$WORK/tokens.json" <<'JSON'
{"tokens": {"tokA": {"project": "projA"}, "tokB": {"project": "projB"},
            "admin": {"project": "adm", "roles": ["admin", "member"]}}}
JSON
"$IMAGED" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/data" --fsync false \
  --tokens "$WORK/tokens.json" --show-multiple-locations true >"$WORK/imaged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || { cat "$WORK/imaged.log"; exit 1; }
URL="http://127.0.0.1:$(cat "$WORK/port")"

expect "single store: /v2/info/stores is 404" 404 "$(req GET /v2/info/stores tokA)"

# v2 locations.
new() { req POST /v2/images tokA '{"disk_format": "raw", "container_format": "bare"}' >/dev/null; json 'd["id"]'; }
I=$(new)
expect "queued image shows locations []" "[]" "$(req GET /v2/images/$I tokA >/dev/null; json 'd["locations"]')"
expect "bad scheme" 400 "$(patch $I '[{"op": "add", "path": "/locations/-", "value": {"url": "gopher://x", "metadata": {}}}]')"
expect "host outside the allow-list" 400 "$(patch $I '[{"op": "add", "path": "/locations/-", "value": {"url": "http://192.0.2.1/x", "metadata": {}}}]')"
expect "add location" 200 "$(patch $I "[{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": {\"url\": \"$SRC\", \"metadata\": {\"foo\": \"bar\"}}}]")"
expect "activated with the HEAD size" "active 300000" "$(json 'd["status"] + " " + str(d["size"])')"
expect "duplicate location" 400 "$(patch $I "[{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": {\"url\": \"$SRC\", \"metadata\": {}}}]")"
expect "add second location" 200 "$(patch $I "[{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": {\"url\": \"$SRC#2\", \"metadata\": {}}}]")"
expect "replace with another URL set" 400 "$(patch $I "[{\"op\": \"replace\", \"path\": \"/locations\", \"value\": [{\"url\": \"$SRC\", \"metadata\": {}}]}]")"
expect "replace metadata only" 200 "$(patch $I "[{\"op\": \"replace\", \"path\": \"/locations\", \"value\": [{\"url\": \"$SRC\", \"metadata\": {\"d\": \"1\"}}, {\"url\": \"$SRC#2\", \"metadata\": {}}]}]")"
expect "remove first" 200 "$(patch $I '[{"op": "remove", "path": "/locations/0"}]')"
expect "remove last is refused" 403 "$(patch $I '[{"op": "remove", "path": "/locations/0"}]')"
curl -s --max-time 20 -H "X-Auth-Token: tokA" -o "$WORK/got" "$URL/v2/images/$I/file"
cmp -s "$WORK/got" "$WORK/www/img.raw" && echo "PASS data read from the location" || { echo "FAIL data"; FAILED=1; }
J=$(new)
VD='"validation_data": {"checksum": "11111111111111111111111111111111", "os_hash_algo": "sha512", "os_hash_value": "'$(printf 'ab%.0s' $(seq 64))'"}'
expect "add with validation_data" 200 "$(patch $J "[{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": {\"url\": \"$SRC\", \"metadata\": {}, $VD}}]")"
expect "validation_data applied, not shown" "11111111111111111111111111111111 False" "$(json 'd["checksum"] + " " + str("validation_data" in d["locations"][0])')"
expect "mismatching validation_data" 409 "$(patch $J "[{\"op\": \"add\", \"path\": \"/locations/-\", \"value\": {\"url\": \"$SRC#3\", \"metadata\": {}, \"validation_data\": {\"os_hash_algo\": \"sha256\", \"os_hash_value\": \"ab\"}}}]")"

# v1 location and copy-from.
expect "v1 location" 201 "$(v1 /v1/images tokA "x-image-meta-name: r" "x-image-meta-disk_format: raw" "x-image-meta-container_format: bare" "x-image-meta-location: $SRC")"
expect "v1 location: active" "active 300000" "$(json 'd["image"]["status"] + " " + str(d["image"]["size"])')"
expect "v1 location outside the allow-list" 400 "$(v1 /v1/images tokA "x-image-meta-disk_format: raw" "x-image-meta-container_format: bare" "x-image-meta-location: http://192.0.2.1/x")"
expect "v1 copy-from" 201 "$(v1 /v1/images tokA "x-image-meta-disk_format: raw" "x-image-meta-container_format: bare" "x-glance-api-copy-from: $SRC")"
C=$(json 'd["image"]["id"]')
st=""
for _ in $(seq 1 60); do st=$(req GET /v2/images/$C tokA; json 'd["status"]'); [ "$st" = "200active" ] && break; sleep 0.25; done
expect "v1 copy-from becomes active" 200active "$st"
expect "v1 copy-from checksum" "$(md5sum <"$WORK/www/img.raw" | cut -d' ' -f1)" "$(json 'd["checksum"]')"
req GET /v2/images/$C/tasks tokA >/dev/null
expect "v1 copy-from task input" "web-download $SRC" "$(json '" ".join(d["tasks"][0]["input"]["import_req"]["method"][k] for k in ("name", "uri"))')"
expect "v1 copy-from task targets" "$C 1" "$(json 'd["tasks"][0]["input"]["image_id"] + " " + str(len(d["tasks"][0]["input"]["backend"]))')"
expect "v1 two sources" 400 "$(v1 /v1/images tokA "x-image-meta-disk_format: raw" "x-image-meta-container_format: bare" "x-image-meta-location: $SRC" "x-glance-api-copy-from: $SRC")"

# metadefs.
expect "namespace create needs admin" 403 "$(req POST /v2/metadefs/namespaces tokA '{"namespace": "n1"}')"
expect "namespace create" 201 "$(req POST /v2/metadefs/namespaces admin '{"namespace": "n1", "visibility": "private", "protected": true, "resource_type_associations": [{"name": "OS::Glance::Image"}]}')"
expect "duplicate namespace" 409 "$(req POST /v2/metadefs/namespaces admin '{"namespace": "n1"}')"
expect "private namespace hidden" 404 "$(req GET /v2/metadefs/namespaces/n1 tokA)"
expect "protected namespace" 403 "$(req DELETE /v2/metadefs/namespaces/n1 admin)"
expect "object create" 201 "$(req POST /v2/metadefs/namespaces/n1/objects admin '{"name": "o1"}')"
expect "object rename" 200 "$(req PUT /v2/metadefs/namespaces/n1/objects/o1 admin '{"name": "o2"}')"
expect "old object gone" 404 "$(req GET /v2/metadefs/namespaces/n1/objects/o1 admin)"
expect "property create" 201 "$(req POST /v2/metadefs/namespaces/n1/properties admin '{"name": "p1", "title": "P", "type": "string"}')"
expect "property show" p1 "$(req GET /v2/metadefs/namespaces/n1/properties/p1 admin >/dev/null; json 'd["name"]')"
expect "tags replace" 201 "$(req POST /v2/metadefs/namespaces/n1/tags admin '{"tags": [{"name": "a"}, {"name": "b"}]}')"
expect "tag add" 201 "$(req POST /v2/metadefs/namespaces/n1/tags/c admin)"
expect "tags listed" 3 "$(req GET /v2/metadefs/namespaces/n1/tags admin >/dev/null; json 'len(d["tags"])')"
kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null; rm -f "$WORK/port"
"$IMAGED" --listen 127.0.0.1:0 --port-file "$WORK/port" --data-dir "$WORK/data" --fsync false \
  --tokens "$WORK/tokens.json" >>"$WORK/imaged.log" 2>&1 &
PIDS[1]=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$WORK/port")"
expect "namespace survives a restart" 200 "$(req GET /v2/metadefs/namespaces/n1 admin)"
expect "unprotect" 200 "$(req PUT /v2/metadefs/namespaces/n1 admin '{"namespace": "n1", "protected": false}')"
expect "namespace delete" 204 "$(req DELETE /v2/metadefs/namespaces/n1 admin)"
for s in namespace namespaces resource_type resource_types object objects property properties tag tags; do
  [ "$(req GET /v2/schemas/metadefs/$s tokA)" = 200 ] || { echo "FAIL schema $s"; FAILED=1; }
done
expect "resource types" OS::Glance::Image "$(req GET /v2/metadefs/resource_types tokA >/dev/null; json 'd["resource_types"][0]["name"]')"

[ $FAILED = 0 ] && echo "locations_metadefs_test: all passed"
exit $FAILED
