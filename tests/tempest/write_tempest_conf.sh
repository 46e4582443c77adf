#!/bin/bash
# write_tempest_conf.sh OUT_FILE [default|multistore] - tempest.conf for imaged.
#
# Feature flags that differ from the reference Glance run, and why:
#   [image-feature-enabled] api_v1 = true   imaged implements the v1 API (Glance Zed
#                                           has none), so the 27 v1 tests run.
#   [image] image_caching_enabled = false   as for Glance: imaged has no image
#                                           cache API (/v2/cache), so the caching
#                                           test is skipped (docs/api.md).
# Everything else is as for Glance: import_image, os_glance_reserved and
# manage_locations on; the multi-store tests find the stores by themselves
# (GET /v2/info/stores).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
OUT="${1:?usage: $0 OUT_FILE [mode]}"
mkdir -p "$(dirname "$OUT")" "$TT_WS_DIR/lock"
cat >"$OUT" <<CONF
[DEFAULT]
log_dir = $TT_WS_DIR
log_file = tempest.log
debug = true
use_stderr = false

[oslo_concurrency]
lock_path = $TT_WS_DIR/lock

[auth]
use_dynamic_credentials = true
create_isolated_networks = false
default_credentials_domain_name = Default
admin_username = admin
admin_password = $TT_ADMIN_PASSWORD
admin_project_name = admin
admin_domain_name = Default
admin_user_domain_name = Default
admin_project_domain_name = Default

[identity]
uri_v3 = $TT_KS_URL/v3
auth_version = v3
region = $TT_REGION
v3_endpoint_type = public

[identity-feature-enabled]
api_v2 = false
api_v3 = true

[service_available]
glance = true
nova = false
cinder = false
neutron = false
swift = false
horizon = false

[validation]
run_validation = false

[enforce_scope]
glance = false
keystone = false

[image]
catalog_type = image
region = $TT_REGION
endpoint_type = public
http_image = $TT_HTTP_IMAGE_URL
build_timeout = ${TT_BUILD_TIMEOUT:-120}
build_interval = 1
image_caching_enabled = ${TT_IMAGE_CACHING:-false}

[image-feature-enabled]
api_v2 = true
api_v1 = ${TT_API_V1:-true}
import_image = true
os_glance_reserved = true
manage_locations = true
CONF
