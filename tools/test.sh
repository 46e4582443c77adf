#!/usr/bin/env bash
# Runs every test of imagefs on a Debian 12 machine, installing what is missing first:
#   1. the release build with -Werror: unit, integration and mount tests (ctest --preset ci);
#   2. the AddressSanitizer + UndefinedBehaviorSanitizer build: unit and integration tests;
#   3. the source checks (layering, formatting of changed files).
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

echo "== AddressSanitizer + UBSan build: unit and integration tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ctest --preset asan -j "$JOBS" -L 'unit|integration'
echo "== all tests passed"
