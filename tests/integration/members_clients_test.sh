#!/usr/bin/env bash
# Image sharing through the real OpenStack clients from Debian, unchanged, against
# the real imaged: glance (python3-glanceclient 4.1) member-create/-list/-get/
# -update/-delete on the Images API v2 with three projects, and the same client's
# Images API v1 (--os-image-api-version 1: x-image-meta-* headers, memberships with
# --can-share, shared-images), and what each project then sees. Every call runs
# from ONE home directory, as a user would (glanceclient caches schemas there).
# `openstack image add project` needs Keystone project lookups and is not used
# (../shared/reference/glance/clients.md); `openstack image member list` is.
# Usage: members_clients_test.sh IMAGED_BINARY
source "$(dirname "$0")/clients_lib.sh" "$@"
cl_need glance

cl_tokens <<'JSON'
{"tokens": {"tokA": {"project": "projA"}, "tokB": {"project": "projB"},
            "tokC": {"project": "projC"}, "tokD": {"project": "projD"},
            "admin": {"project": "admin", "roles": ["admin", "member", "reader"]}}}
JSON
cl_start_imaged
export OS_IMAGE_URL="$URL"
unset OS_AUTH_TOKEN OS_IMAGE_API_VERSION

has() {  # has DESCRIPTION PATTERN COMMAND... : must succeed and print PATTERN
  local desc=$1 pattern=$2; shift 2
  if out=$("$@" 2>&1) && grep -q -- "$pattern" <<<"$out"; then
    echo "ok   - $desc"
  else
    echo "FAIL - $desc (no '$pattern')"; echo "$out" | sed 's/^/       /'; fails=$((fails + 1))
  fi
}
lacks() {  # lacks DESCRIPTION PATTERN COMMAND... : must succeed and not print PATTERN
  local desc=$1 pattern=$2; shift 2
  if out=$("$@" 2>&1) && ! grep -q -- "$pattern" <<<"$out"; then
    echo "ok   - $desc"
  else
    echo "FAIL - $desc (printed '$pattern' or failed)"; echo "$out" | sed 's/^/       /'
    fails=$((fails + 1))
  fi
}
g() { local tok=$1; shift; glance --os-auth-token "$tok" "$@"; }           # Images API v2
g1() { local tok=$1; shift; glance --os-image-api-version 1 --os-auth-token "$tok" "$@"; }
json() {  # json TOKEN PATH PYTHON-EXPR(v) : a value of a JSON answer, through curl
  curl -sf -H "X-Auth-Token: $1" "$URL$2" | /usr/bin/python3 -c "import json,sys; v=json.load(sys.stdin); print($3)"
}

head -c 2000000 /dev/urandom >"$WORK/data.img"

# --- v2: glance member-* with three projects ---------------------------------
out=$(g tokA image-create --name gc-shared --visibility shared --disk-format raw \
      --container-format bare --file "$WORK/data.img" 2>&1) || { echo "$out"; exit 1; }
IMG=$(awk '$2=="id"{print $4}' <<<"$out")
[[ -n "$IMG" ]] || { echo "FAIL - image-create"; echo "$out"; exit 1; }
echo "ok   - glance image-create --visibility shared ($IMG)"
PRIV=$(g tokA image-create --name gc-private --visibility private --disk-format raw \
       --container-format bare <&- 2>&1 | awk '$2=="id"{print $4}')

has "member-create projB" "pending" g tokA member-create "$IMG" projB
has "member-create projC (second call, same HOME)" "pending" g tokA member-create "$IMG" projC
expect_fail "member-create of an existing member" "409\|duplicated" g tokA member-create "$IMG" projB
expect_fail "member-create on a private image" "403\|Not allowed" g tokA member-create "$PRIV" projB
expect_fail "member-create by a member" "403\|Not allowed" g tokB member-create "$IMG" projD
has "owner member-list shows projB" "projB" g tokA member-list --image-id "$IMG"
has "owner member-list shows projC" "projC" g tokA member-list --image-id "$IMG"
has "member-get" "pending" g tokA member-get "$IMG" projB
lacks "a member lists only itself" "projC" g tokB member-list --image-id "$IMG"
expect_fail "a stranger cannot list members" "404\|not found" g tokD member-list --image-id "$IMG"

check "pending member reads the image" g tokB image-show "$IMG"
check "pending member downloads it" g tokB image-download --file "$WORK/b.img" "$IMG"
check "downloaded bytes match" cmp "$WORK/data.img" "$WORK/b.img"
lacks "pending: not in the default list" "$IMG" g tokB image-list
has "pending: in --member-status pending" "$IMG" g tokB image-list --member-status pending

expect_fail "the owner cannot accept for a member" "403\|Not allowed" g tokA member-update "$IMG" projB accepted
expect_fail "a member cannot answer for another" "404\|not found" g tokB member-update "$IMG" projC accepted
has "member-update accepted" "accepted" g tokB member-update "$IMG" projB accepted
has "accepted: in the default list" "$IMG" g tokB image-list
has "member-update rejected" "rejected" g tokC member-update "$IMG" projC rejected
lacks "rejected: not in the default list" "$IMG" g tokC image-list
has "rejected: in --member-status rejected" "$IMG" g tokC image-list --member-status rejected
has "owner sees both answers" "rejected" g tokA member-list --image-id "$IMG"
lacks "a stranger's list" "$IMG" g tokD image-list --member-status all --visibility all
expect_fail "a stranger cannot show it" "404\|No image" g tokD image-show "$IMG"

expect_fail "a member cannot delete members" "403\|Not allowed" g tokB member-delete "$IMG" projB
check "member-delete projC" g tokA member-delete "$IMG" projC
expect_fail "a removed member no longer sees it" "404\|No image" g tokC image-show "$IMG"
lacks "member-list after delete" "projC" g tokA member-list --image-id "$IMG"
has "openstack image member list" "projB" openstack --os-auth-type admin_token \
  --os-endpoint "$URL/v2" --os-token tokA image member list "$IMG"

# --- v1: the same client with --os-image-api-version 1 -----------------------
out=$(g1 tokA image-create --name v1-gc --disk-format raw --container-format bare \
      --property distro=debian --file "$WORK/data.img" 2>&1) || { echo "$out"; exit 1; }
V1=$(awk '$2=="id"{print $4}' <<<"$out")
[[ -n "$V1" ]] && echo "ok   - v1 image-create --file ($V1)" || { echo "FAIL - v1 image-create"; echo "$out"; fails=$((fails + 1)); }
has "v1 image-create made it active" "active" g1 tokA image-show "$V1"
has "v1 image-show (HEAD) has the property" "debian" g1 tokA image-show "$V1"
# glanceclient's v1 image-update takes a stdin that is not a TTY for image data (and
# refuses it for an active image); a closed stdin does not help, as its HTTP socket
# then gets fd 0. Run it on a pseudo-terminal, as a user at a shell would.
has "v1 image-update" "v1-renamed" script -qec "glance --os-image-api-version 1 \
  --os-auth-token tokA image-update --name v1-renamed --property color=red $V1" /dev/null
check "v1 update is visible through v2" test "$(json tokA "/v2/images/$V1" "v['name']+'/'+v['color']+'/'+v['visibility']")" = v1-renamed/red/shared
check "v1 PUT with an empty property header (curl)" curl -sf -o /dev/null -X PUT \
  -H "X-Auth-Token: tokA" -H "x-glance-registry-purge-props: false" \
  -H "x-image-meta-property-distro;" "$URL/v1/images/$V1"
check "an empty value removed that property only" test \
  "$(json tokA "/v2/images/$V1" "str('distro' in v)+'/'+v['color']")" = False/red
has "v1 image-list" "v1-renamed" g1 tokA image-list
has "v1 image-list --property-filter" "v1-renamed" g1 tokA image-list --property-filter color=red
check "v1 image-download" g1 tokA image-download --file "$WORK/v1.img" "$V1"
check "v1 downloaded bytes match" cmp "$WORK/data.img" "$WORK/v1.img"

check "v1 member-create --can-share" g1 tokA member-create --can-share "$V1" projB
has "v1 member-list --image-id" "projB" g1 tokA member-list --image-id "$V1"
has "v1 member-list --tenant-id (shared-images)" "$V1" g1 tokB member-list --tenant-id projB
check "v2 sees the v1 member, pending" test "$(json tokA "/v2/images/$V1/members/projB" "v['status']")" = pending
has "a v1-shared image is in the member's v1 list" "v1-renamed" g1 tokB image-list
lacks "but not in its v2 default list before accepting" "$V1" g tokB image-list
check "v1 delegation: projB (can_share) shares with projC" g1 tokB member-create "$V1" projC
expect_fail "projC (no can_share) cannot share" "403\|No permission" g1 tokC member-create "$V1" projD
check "v2 lists both v1 members" test "$(json tokA "/v2/images/$V1/members" "len(v['members'])")" = 2
check "v1 member-delete" g1 tokA member-delete "$V1" projC
expect_fail "the removed project cannot read it" "404\|not found\|No image" g1 tokC image-show "$V1"
check "v1 download by the member" g1 tokB image-download --file "$WORK/v1b.img" "$V1"
check "member's bytes match" cmp "$WORK/data.img" "$WORK/v1b.img"
check "v2 member-create on a v1 image" g tokA member-create "$V1" projD
has "v1 member-list shows the v2 member" "projD" g1 tokA member-list --image-id "$V1"
check "v1 image-delete" g1 tokA image-delete "$V1"
expect_fail "v1 image-show of a deleted image" "404\|not found\|No image" g1 tokA image-show "$V1"

cl_stop_imaged
echo "$fails failure(s)"
[[ $fails -eq 0 ]]
