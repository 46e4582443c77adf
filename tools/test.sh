#!/usr/bin/env bash
# Runs every test of imagefs on a Debian 12 machine, installing what is missing first:
#   1. the release build with -Werror: unit, integration and mount tests (ctest --preset ci);
#   2. the conformance stage: imaged in Keystone mode against a real Keystone (keystone_test.sh,
#      run here only, not by ctest), and
#      tempest's image suite in the default and multi-store configurations
#      (tests/tempest/ci-stage.sh; set IMAGEFS_SKIP_TEMPEST=1 to leave it out locally);
#   3. the AddressSanitizer + UndefinedBehaviorSanitizer build: unit and integration tests;
#   and first the source checks (layering).
# Mount tests need /dev/fuse and root (they skip otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

tools/install-deps.sh
tools/check.sh

echo "== release build (-Werror) and all tests"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$JOBS"
ctest --preset ci -j "$JOBS"

if [[ "${IMAGEFS_SKIP_TEMPEST:-0}" != 1 ]]; then
  echo "== conformance: Keystone mode and tempest's image suite"
  rc=0
  tests/tempest/ci-stage.sh build/ci/service/api/imaged || rc=$?
  if [[ $rc -eq 77 && "${CI:-}" != true ]]; then
    echo "   (skipped: the Keystone/tempest harness cannot be set up on this machine)"
  elif [[ $rc -ne 0 ]]; then
    exit 1
  fi
fi

echo "== AddressSanitizer + UBSan build: unit and integration tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan -j "$JOBS" -L 'unit|integration'
echo "== all tests passed"
