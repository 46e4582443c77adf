#!/usr/bin/env bash
# Installs everything imagefs needs to build, run and test, from Debian 12 packages.
# Idempotent: does nothing (and needs no network) when all packages are present.
# Usage: tools/install-deps.sh [--with-peers]   (peers: glance-api, httpdirfs, rclone for benchmarks)
set -euo pipefail

BUILD=(cmake ninja-build g++ pkg-config git
       libboost1.81-dev libboost-json1.81-dev librocksdb-dev libfuse3-dev fuse3
       libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev
       libgtest-dev libgmock-dev libbenchmark-dev)
TEST=(attr curl jq qemu-utils fio wrk python3-glanceclient python3-openstackclient
      python3-cinderclient procps psmisc util-linux e2fsprogs)
PEERS=(glance-api nginx-light httpdirfs rclone hyperfine)

want=("${BUILD[@]}" "${TEST[@]}")
if [[ "${1:-}" == "--with-peers" ]]; then want+=("${PEERS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# Keep package postinst scripts from starting services (nginx, glance-api) behind our back.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
