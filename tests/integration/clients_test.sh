#!/usr/bin/env bash
# The real OpenStack clients from Debian against the real imaged, unchanged:
# glance (python3-glanceclient 4.1) and openstack (python3-openstackclient 6.0).
# Many glance calls run from ONE home directory: glanceclient caches the image
# schema there, and a schema with a `stores` property breaks every call after the
# first (../shared/reference/glance/clients.md); imaged must not trigger that.
# Usage: clients_test.sh IMAGED_BINARY
source "$(dirname "$0")/clients_lib.sh" "$@"
cl_need glance openstack

cl_tokens <<'JSON'
{"tokens": {"tokA": {"project": "projA"}, "tokB": {"project": "projB"},
            "admin": {"project": "admin", "roles": ["admin", "member", "reader"]}}}
JSON
cl_start_imaged
export OS_IMAGE_URL="$URL" OS_AUTH_TOKEN=tokA

field() {  # field ID NAME: a field of glance image-show, via --os-... json? use curl instead
  curl -sf -H "X-Auth-Token: ${3:-tokA}" "$URL/v2/images/$1" | /usr/bin/python3 -c \
    "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}

head -c 3000000 /dev/urandom >"$WORK/data.img"
md5=$(md5sum "$WORK/data.img" | cut -d' ' -f1)

# --- glance ---
out=$(glance image-create --name gc-file --disk-format raw --container-format bare \
      --property color=red --file "$WORK/data.img" 2>&1) || { echo "$out"; exit 1; }
GID=$(awk '$2=="id"{print $4}' <<<"$out")
[[ -n "$GID" ]] && echo "ok   - glance image-create --file ($GID)" || { echo "FAIL - image-create"; echo "$out"; exit 1; }
check "glance image-create is active with the md5" test "$(field "$GID" status)/$(field "$GID" checksum)" = "active/$md5"
for i in 1 2 3; do check "glance image-list (call $i from one HOME)" glance image-list; done
check "glance image-show" glance image-show "$GID"
check "glance image-update" glance image-update --name gc-renamed --property color=blue "$GID"
check "name and property changed" test "$(field "$GID" name)/$(field "$GID" color)" = gc-renamed/blue
check "glance image-update --remove-property" glance image-update --remove-property color "$GID"
check "property removed" test -z "$(field "$GID" color)"
check "glance image-update --min-ram --protected" glance image-update --min-ram 64 --protected True "$GID"
check "protected set" test "$(field "$GID" protected)" = True
expect_fail "glance image-delete of a protected image" "protected\|not permitted\|403" glance image-delete "$GID"
check "glance image-update --protected False" glance image-update --protected False "$GID"
check "glance image-tag-update" glance image-tag-update "$GID" newtag
check "tag added" grep -q newtag <<<"$(field "$GID" tags)"
check "glance image-tag-delete" glance image-tag-delete "$GID" newtag
check "glance image-download" glance image-download --file "$WORK/out.img" "$GID"
check "downloaded bytes match" cmp "$WORK/data.img" "$WORK/out.img"
check "glance image-list --property-filter" glance image-list --property-filter name=gc-renamed
check "glance image-list --sort" glance image-list --sort name:asc --limit 3
check "glance image-list paging" glance image-list --limit 2 --page-size 1
check "glance image-deactivate" glance image-deactivate "$GID"
expect_fail "download of a deactivated image" "403\|deactivated" glance image-download --file "$WORK/x.img" "$GID"
check "glance image-reactivate" glance image-reactivate "$GID"
check "glance explain image" glance explain image
check "glance import-info" glance import-info
# One store: /v2/info/stores is 404, as Glance, and glanceclient says so.
expect_fail "glance stores-info (single store)" "Multi Backend support is not enabled" glance stores-info
check "glance usage" glance usage
Q=$(curl -sf -X POST -H "X-Auth-Token: tokA" -H 'Content-Type: application/json' \
    -d '{"name": "gc-queued", "disk_format": "raw", "container_format": "bare"}' "$URL/v2/images" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "an image without data is queued" test "$(field "$Q" status)" = queued
check "glance image-upload" glance image-upload --file "$WORK/data.img" "$Q"
check "uploaded image is active with the md5" test "$(field "$Q" status)/$(field "$Q" checksum)" = "active/$md5"
expect_fail "projB cannot see projA's shared image" "404\|No image" glance --os-auth-token tokB image-show "$Q"
expect_fail "public image as non-admin" "403\|publicize" glance image-create --name pub \
  --visibility public --disk-format raw --container-format bare </dev/null
check "admin creates a public image" glance --os-auth-token admin image-create --name pub \
  --visibility public --disk-format raw --container-format bare </dev/null
check "projB sees the public image" grep -q pub <<<"$(glance --os-auth-token tokB image-list)"
expect_fail "an unknown token is 401" "401\|Invalid OpenStack Identity credentials" glance --os-auth-token bogus image-list
check "glance image-delete" glance image-delete "$GID"
expect_fail "deleted image is gone" "404\|No image" glance image-show "$GID"

# --- openstack ---
OA=(openstack --os-auth-type admin_token --os-endpoint "$URL/v2" --os-token tokA)
check "openstack image create --file" "${OA[@]}" image create --disk-format raw --container-format bare \
  --property foo=bar --tag t1 --file "$WORK/data.img" osc-file
OID=$("${OA[@]}" image show -f value -c id osc-file)
check "openstack image is active with the md5" test "$(field "$OID" status)/$(field "$OID" checksum)" = "active/$md5"
check "openstack image list" "${OA[@]}" image list
check "openstack image list --long --property" "${OA[@]}" image list --long --property foo=bar
check "openstack image list --sort --limit" "${OA[@]}" image list --sort name:asc --limit 2
check "openstack image show" "${OA[@]}" image show "$OID"
check "openstack image set" "${OA[@]}" image set --name osc-renamed --property color=green --tag t2 --min-ram 32 "$OID"
check "set applied" test "$(field "$OID" name)/$(field "$OID" color)/$(field "$OID" min_ram)" = "osc-renamed/green/32"
check "openstack image unset" "${OA[@]}" image unset --property foo --tag t1 "$OID"
check "unset applied" test -z "$(field "$OID" foo)"
check "openstack image save" "${OA[@]}" image save --file "$WORK/osc.img" "$OID"
check "saved bytes match" cmp "$WORK/data.img" "$WORK/osc.img"
check "openstack image set --deactivate" "${OA[@]}" image set --deactivate "$OID"
check "openstack image set --activate" "${OA[@]}" image set --activate "$OID"
check "openstack image delete" "${OA[@]}" image delete "$OID"
expect_fail "openstack image show of a deleted image" "No Image\|404\|not found" "${OA[@]}" image show "$OID"

if grep -q "ERROR\|error=" "$WORK/imaged.log"; then :; fi
cl_stop_imaged
echo "$fails failure(s)"
[[ $fails -eq 0 ]]
